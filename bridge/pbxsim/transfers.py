"""Transfers done by a phone (SIP REFER) on the simulated PBX, as Asterisk 22 plays them.

Sources: ``ast_bridge_transfer_blind`` / ``ast_bridge_transfer_attended`` in ``main/bridge.c``,
the ``BlindTransfer``/``AttendedTransfer`` definitions in ``main/stasis_bridges.c``
(``IsExternal: Yes``: a channel driver's transfer).

Blind, in a two-party bridge: ``Unhold`` of the transferer (a held transferee hears its music
stop), ``VarSet BLINDTRANSFER`` on both, ``BlindTransfer``, both leave the bridge, which is
destroyed; the transferer's phone hangs up; the transferee runs the dialplan at the number
(new Context/Exten) and dials it like any call: a new bridge once answered.

Attended, both calls answered, two basic bridges: the swap optimisation. ``Unhold`` of both
transferer channels, ``VarSet ATTENDEDTRANSFER``, the transferee leaves its bridge and enters the
consultation bridge in place of the transferer's second channel (``SwapUniqueid``; that channel
leaves first), ``BRIDGEPEER`` and connected lines of the new pair, ``AttendedTransfer``
(``DestType: Bridge``), then the transferer's first channel leaves (first bridge destroyed) and
both transferer channels hang up. The transferee keeps its channel and the target its one: only
their bridge and Linkedid (the oldest of the two) change.
"""

from __future__ import annotations

from bridge.ami.protocol import Header
from bridge.pbxsim.bridges import bridge_headers
from bridge.pbxsim.channels import Channel, channel_event, channel_headers
from bridge.pbxsim.events import event
from bridge.pbxsim.features import CallFeatures
from bridge.pbxsim.phone import PhoneCalls, SimCall


class Transfers:
    """Blind and attended transfers of the calls of :class:`PhoneCalls`."""

    def __init__(self, phones: PhoneCalls, features: CallFeatures) -> None:
        self._phones = phones
        self._features = features
        self._legs = phones.legs
        self._bridges = phones.bridges

    def _unhold(self, transferer: Channel, call: SimCall) -> None:
        self._legs.emit(channel_event("Unhold", transferer))
        peer = call.other(transferer)
        if peer.held:
            peer.held = False
            self._legs.moh(peer, start=False)
            self._legs.publish(peer.device)

    def blind(
        self, call: SimCall, to_number: str, *, by: Channel | None = None,
        to_device: str | None = None, answer: bool = True, context: str = "from-internal",
    ) -> SimCall:  # fmt: skip
        """The phone of ``call`` (or ``by``) sends its peer to ``to_number``; the new call."""
        transferer = by or self._features.channel(call)
        bridge, transferee = call.bridge, call.other(transferer)
        if bridge is None or call.ended:
            raise ValueError("only an answered call can be transferred")
        self._unhold(transferer, call)
        for channel in bridge.channels:
            peer = transferee.name if channel is transferer else transferer.name
            self._bridges.varset(channel, "BLINDTRANSFER", peer)
        self._legs.emit(event("BlindTransfer", "call", [
            ("Result", "Success"), *channel_headers(transferer, "Transferer"),
            *channel_headers(transferee, "Transferee"), *bridge_headers(bridge),
            ("IsExternal", "Yes"), ("Context", context), ("Extension", to_number),
        ]))  # fmt: skip
        for channel in (transferee, transferer):
            self._bridges.varset(channel, "BRIDGEPEER", "")
            self._bridges.leave(bridge, channel)
        self._bridges.destroy(bridge)
        self._forget(call)
        self._legs.request_hangup(transferer)
        self._legs.hangup(transferer)
        transferee.context, transferee.exten = context, to_number
        return self._phones.dial(transferee, to_number, to_device=to_device, answer=answer)

    def attended(self, call: SimCall, consult: SimCall, *, by: Channel | None = None) -> SimCall:
        """The phone that is in ``call`` and placed ``consult`` joins their far ends."""
        transferer = by or self._features.channel(call)
        second = next((c for c in consult.channels if c.device == transferer.device), None)
        first_bridge, second_bridge = call.bridge, consult.bridge
        if second is None or first_bridge is None or second_bridge is None:
            raise ValueError("an attended transfer needs two answered calls of one phone")
        transferee, target = call.other(transferer), consult.other(second)
        done = self._attended_event(transferer, second, transferee, target, call, consult)
        self._unhold(transferer, call)
        self._legs.emit(channel_event("Unhold", second))
        for channel in first_bridge.channels:
            peer = transferee.name if channel is transferer else transferer.name
            self._bridges.varset(channel, "ATTENDEDTRANSFER", peer)
        self._bridges.leave(first_bridge, transferee)
        self._bridges.enter(second_bridge, transferee, swap=second)
        self._bridges.set_peers(second_bridge)
        self._legs.connected(transferee, (target.cid_num, target.cid_name))
        self._legs.connected(target, (transferee.cid_num, transferee.cid_name))
        self._legs.emit(done)
        self._bridges.varset(transferer, "BRIDGEPEER", "")
        self._bridges.leave(first_bridge, transferer)
        self._bridges.destroy(first_bridge)
        for channel in (second, transferer):
            self._legs.hangup(channel)
        self._forget(call)
        self._forget(consult)
        joined = SimCall(transferee, target, second_bridge, answered=True,
                         answered_at=consult.answered_at)  # fmt: skip
        self._phones.calls.append(joined)
        return joined

    def _attended_event(
        self, transferer: Channel, second: Channel, transferee: Channel, target: Channel,
        call: SimCall, consult: SimCall,
    ) -> list[Header]:  # fmt: skip
        """``AttendedTransfer`` with the snapshots taken as the transfer starts."""
        assert call.bridge is not None and consult.bridge is not None
        return event("AttendedTransfer", "call", [
            ("Result", "Success"), *channel_headers(transferer, "OrigTransferer"),
            *bridge_headers(call.bridge, "Orig"), *channel_headers(second, "SecondTransferer"),
            *bridge_headers(consult.bridge, "Second"), *channel_headers(transferee, "Transferee"),
            *channel_headers(target, "TransferTarget"), ("IsExternal", "Yes"),
            ("DestType", "Bridge"), ("DestBridgeUniqueid", consult.bridge.uniqueid),
        ])  # fmt: skip

    def _forget(self, call: SimCall) -> None:
        call.ended = True
        if call in self._phones.calls:
            self._phones.calls.remove(call)
