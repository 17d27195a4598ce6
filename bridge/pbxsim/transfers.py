"""Transfers on the simulated PBX, and the ``BlindTransfer`` and ``Redirect`` actions.

Sources: ``ast_bridge_transfer_blind`` / ``ast_bridge_transfer_attended`` in ``main/bridge.c``,
the ``BlindTransfer``/``AttendedTransfer`` definitions in ``main/stasis_bridges.c``
(``IsExternal: Yes``); the order is the ``blind_transfer``, ``blind_transfer_sip`` and
``redirect`` captures' per channel.

Blind (a phone's REFER or the action), in a two-party bridge: ``Unhold`` of the transferer,
``VarSet BLINDTRANSFER`` on both, ``BlindTransfer``; the transferee goes to the number's
extension (its first ``Newexten`` there still names its old application), leaves the bridge and
runs that extension (it dials the number like any call); the transferer leaves and is hung up
without a request (Cause 16; a Local one's other half follows). The action on a channel in no
bridge answers ``Transfer invalid`` and raises ``BlindTransfer`` with ``Result: Invalid`` and
only the transferer's block. No ``NewConnectedLine`` of its own: the new Dial sends one.

Redirect: the channel goes to the new place (the same stale first ``Newexten``), leaves its
bridge, and runs there; the peer left alone goes on as the bridge's end makes it (an
originate's Dial returns and its channel ends). No Redirect event.

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
from bridge.pbxsim.hangups import QUIET
from bridge.pbxsim.phone import PhoneCalls
from bridge.pbxsim.session import ActionHandler, Reply
from bridge.pbxsim.simcall import SimCall


class Transfers:
    """Blind and attended transfers, and Redirect, of the calls of :class:`PhoneCalls`."""

    def __init__(self, phones: PhoneCalls, features: CallFeatures) -> None:
        self._phones = phones
        self._features = features
        self._legs = phones.legs
        self._bridges = phones.bridges

    def _unhold(self, transferer: Channel, peer: Channel) -> None:
        self._legs.emit(channel_event("Unhold", transferer))
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
        if call.bridge is None or call.ended or not transferer.bridge_id:
            raise ValueError("only an answered call can be transferred")
        transferee = self._transfer(transferer, context, to_number)
        return self._phones.dial(transferee, to_number, to_device=to_device, answer=answer,
                                 arrived=True)  # fmt: skip

    def _transfer(self, transferer: Channel, context: str, exten: str) -> Channel:
        """The bridge part of a blind transfer (see the module docstring); the transferee."""
        bridge = self._bridges.bridges[transferer.bridge_id]
        transferee = next(c for c in bridge.channels if c is not transferer)
        self._unhold(transferer, transferee)
        for channel in bridge.channels:
            peer = transferee.name if channel is transferer else transferer.name
            self._bridges.varset(channel, "BLINDTRANSFER", peer)
        self._legs.emit(event("BlindTransfer", "call", [
            ("Result", "Success"), *channel_headers(transferer, "Transferer"),
            *channel_headers(transferee, "Transferee"), *bridge_headers(bridge),
            ("IsExternal", "Yes"), ("Context", context), ("Extension", exten),
        ]))  # fmt: skip
        self._phones.runner.arrive(transferee, context, exten)
        for channel in (transferee, transferer):
            self._bridges.varset(channel, "BRIDGEPEER", "")
            self._bridges.leave(bridge, channel)
        self._bridges.destroy(bridge)
        self._phones.hangups.end(transferer, QUIET)
        return transferee

    # -- actions ---------------------------------------------------------------------------------
    def handlers(self) -> dict[str, ActionHandler]:
        """Lower-case action name -> handler."""
        return {"blindtransfer": self.blind_transfer_action, "redirect": self.redirect_action}

    def blind_transfer_action(self, reply: Reply) -> None:
        name, exten = _get(reply, "Channel"), _get(reply, "Exten")
        channel = self._legs.state.channels.get(name)
        if not name or not exten or channel is None:
            reply.error("No channel specified" if not name else "No extension specified"
                        if not exten else "Channel specified does not exist")  # fmt: skip
            return
        context = _get(reply, "Context") or channel.context
        if not channel.bridge_id:
            reply.error("Transfer invalid")
            self._legs.emit(event("BlindTransfer", "call", [
                ("Result", "Invalid"), *channel_headers(channel, "Transferer"),
                ("IsExternal", "Yes"), ("Context", context), ("Extension", exten),
            ]))  # fmt: skip
            return
        reply.success("Transfer succeeded")
        transferee = self._transfer(channel, context, exten)
        self._phones.runner.run(transferee, 1, arrived=True)

    def redirect_action(self, reply: Reply) -> None:
        name, context = _get(reply, "Channel"), _get(reply, "Context")
        exten, priority = _get(reply, "Exten"), _get(reply, "Priority")
        channel = self._legs.state.channels.get(name)
        missing = next((k for k, v in (("Channel", name), ("Exten", exten),
                                       ("Priority", priority)) if not v), None)  # fmt: skip
        if missing is not None:
            reply.error(f"{missing} not specified")
        elif not priority.isdigit() or int(priority) < 1:
            reply.error("Priority is invalid")
        elif channel is None:
            reply.error(f"Channel does not exist: {name}")
        else:
            reply.success("Redirect successful")
            runner = self._phones.runner
            runner.arrive(channel, context or channel.context, exten, int(priority))
            if channel.bridge_id:
                self._phones.hangups.leave(channel)
            runner.run(channel, int(priority), arrived=True)

    def attended(self, call: SimCall, consult: SimCall, *, by: Channel | None = None) -> SimCall:
        """The phone that is in ``call`` and placed ``consult`` joins their far ends."""
        transferer = by or self._features.channel(call)
        second = next((c for c in consult.channels if c.device == transferer.device), None)
        first_bridge, second_bridge = call.bridge, consult.bridge
        if second is None or first_bridge is None or second_bridge is None:
            raise ValueError("an attended transfer needs two answered calls of one phone")
        transferee, target = call.other(transferer), consult.other(second)
        done = self._attended_event(transferer, second, transferee, target, call, consult)
        self._unhold(transferer, call.other(transferer))
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


def _get(reply: Reply, key: str) -> str:
    return (reply.request.get(key) or "").strip()
