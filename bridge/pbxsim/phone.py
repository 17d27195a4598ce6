"""Calls between phones (and the trunk) on the simulated PBX: Dial, answer, hang-up.

Order of events, from ``apps/app_dial.c`` and ``channels/chan_pjsip.c`` of Asterisk 22 (header
blocks as the captures show them)::

    Newchannel caller (Ring)            Newexten caller ... Dial
    Newchannel callee (Down)            Newexten callee AppDial "(Outgoing Line)"
    [NewCallerid callee]                NewConnectedLine callee (the caller)
    DialBegin                           Newstate callee Ringing, its device RINGING
    DialState RINGING                   the caller's device (INUSE)
    -- answer --
    Newstate callee Up (device)         NewConnectedLine caller (the callee)
    DialEnd ANSWER                      Newstate caller Up (device)
    BridgeCreate, BridgeEnter callee, BridgeEnter caller, VarSet BRIDGEPEER x2
    -- hang-up by one side (a BYE) --
    HangupRequest, VarSet BRIDGEPEER "" x2, BridgeLeave, Hangup (16) and device,
    BridgeLeave of the other, BridgeDestroy, Hangup (16) and device

A ringing call cancelled by its caller: ``HangupRequest`` (Cause 127, TechCause 487, as
``chan_pjsip_session_end`` maps the 487), ``DialEnd CANCEL``, then both hang up with that cause.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bridge.pbxsim.bridges import Bridge, BridgeOps
from bridge.pbxsim.channels import UNKNOWN, Channel
from bridge.pbxsim.legs import ChannelOps


@dataclass(slots=True, eq=False)
class SimCall:
    """One call: the ``caller`` channel, the ``callee`` channel it dialed, and their bridge.

    ``helpers`` are further channels of the call outside the bridge (the ``;2`` half of a Local
    queue member). ``queue``/``member``: the queue and member interface of a queue call.
    """

    caller: Channel
    callee: Channel | None = None
    bridge: Bridge | None = None
    helpers: list[Channel] = field(default_factory=list)
    queue: str = ""
    member: str = ""
    answered: bool = False
    ended: bool = False
    answered_at: float = 0.0
    hold_time: int = 0

    @property
    def channels(self) -> list[Channel]:
        """Every channel of the call, caller first."""
        return [c for c in (self.caller, self.callee, *self.helpers) if c is not None]

    def other(self, channel: Channel) -> Channel:
        """The bridged party facing ``channel``."""
        if self.callee is None:
            raise ValueError("the call has no callee")
        return self.callee if channel is self.caller else self.caller


class PhoneCalls:
    """Plays calls placed by phones or arriving on the trunk; keeps the live ones."""

    def __init__(self, legs: ChannelOps, bridges: BridgeOps) -> None:
        self.legs = legs
        self.bridges = bridges
        self.calls: list[SimCall] = []

    def place_call(
        self, from_device: str, to_number: str, *, to_device: str | None = None,
        answer: bool = True, context: str = "from-internal",
    ) -> SimCall:  # fmt: skip
        """A phone dials ``to_number``: a phone's endpoint, else out through the trunk."""
        device = self.legs.device_of(from_device)
        caller = self.legs.pjsip(device, state=4, context=context, exten=to_number,
                                 cid=self.legs.endpoint_cid(device))  # fmt: skip
        return self.dial(caller, to_number, to_device=to_device, answer=answer)

    def inbound_call(
        self, caller_number: str, did: str, to_device: str, *, caller_name: str = "",
        trunk: str = "PJSIP/trunk", answer: bool = True,
    ) -> SimCall:  # fmt: skip
        """A call from the trunk to ``did`` (context ``from-trunk``), routed to a phone."""
        caller = self.legs.pjsip(trunk, state=4, context="from-trunk", exten=did,
                                 cid=(caller_number, caller_name or UNKNOWN))  # fmt: skip
        return self.dial(caller, did, to_device=self.legs.device_of(to_device), answer=answer)

    def dial(
        self, caller: Channel, number: str, *, to_device: str | None = None, answer: bool = True
    ) -> SimCall:
        """``caller`` (already up or ringing) runs Dial to a phone or out through the trunk."""
        trunk = self.legs.state.config.trunk
        if to_device is None:
            to_device = f"PJSIP/{number}" if self.legs.is_endpoint(number) else f"PJSIP/{trunk}"
        resource = to_device.partition("/")[2]
        dialstring = f"{number}@{trunk}" if resource == trunk else resource
        self.legs.run_until(caller, "Dial", f"PJSIP/{dialstring},,tT")
        context = "from-trunk" if resource == trunk else "from-internal"
        cid = self.legs.endpoint_cid(to_device)
        callee = self.legs.pjsip(
            to_device, state=0, context=context, exten="s", cid=cid, linkedid=caller.linkedid
        )
        call = SimCall(caller, callee)
        self.calls.append(call)
        self.ring(call, dialstring)
        if answer:
            self.answer(call)
        return call

    def ring(self, call: SimCall, dialstring: str) -> None:
        """The callee is set up and rings (from ``Newexten AppDial`` to ``DialState``)."""
        caller, callee = call.caller, call.callee
        assert callee is not None
        self.legs.newexten(callee, "AppDial", "(Outgoing Line)", exten=caller.exten)
        if callee.cid_num == UNKNOWN:  # no preset caller ID: the dialed number (stored_clid)
            self.legs.callerid(callee, (caller.exten, UNKNOWN))
        self.legs.connected(callee, (caller.cid_num, caller.cid_name))
        self.legs.dial("DialBegin", caller, callee, ("DialString", dialstring))
        self.legs.newstate(callee, 5)
        self.legs.dial("DialState", caller, callee, ("DialStatus", "RINGING"))
        self.legs.publish(caller.device)

    def answer(self, call: SimCall) -> None:
        """The callee answers: Up, ``DialEnd ANSWER``, caller Up, both bridged."""
        caller, callee = call.caller, call.callee
        if call.answered or call.ended or callee is None:
            return
        self.legs.newstate(callee, 6)
        self.legs.connected(caller, (callee.cid_num, callee.cid_name))
        self.legs.dial("DialEnd", caller, callee, ("DialStatus", "ANSWER"))
        if caller.state != 6:
            self.legs.newstate(caller, 6)
        self.connect(call, callee)

    def connect(self, call: SimCall, agent: Channel) -> None:
        """Bridge ``agent`` (entering first, as captured) with the caller."""
        bridge = self.bridges.create()
        self.bridges.enter(bridge, agent)
        self.bridges.enter(bridge, call.caller)
        self.bridges.set_peers(bridge)
        call.bridge, call.answered, call.answered_at = bridge, True, time.monotonic()

    def hangup_call(self, call: SimCall, by: Channel | None = None, *, soft: bool = False) -> None:
        """End a call: ``by`` (default: the caller) hangs up, the other side follows.

        ``soft``: the hang-up comes from the ``Hangup`` action (``SoftHangupRequest``).
        """
        if call.ended:
            return
        call.ended = True
        if call in self.calls:
            self.calls.remove(call)
        if not call.answered:
            self.cancel(call, soft=soft)
            return
        first = by or call.caller
        self.legs.request_hangup(first, 16 if soft else None, soft=soft)
        self.drop_bridge(call, first)

    def cancel(self, call: SimCall, *, soft: bool = False) -> None:
        """The caller gives up before an answer (a CANCEL: 487, or the Hangup action)."""
        caller, cause, tech = call.caller, 16 if soft else 127, 0 if soft else 487
        self.legs.request_hangup(caller, cause, soft=soft, tech_cause=tech)
        for channel in (call.callee, *call.helpers):
            if channel is not None:
                if channel is call.callee:
                    self.legs.dial("DialEnd", caller, channel, ("DialStatus", "CANCEL"))
                self.legs.hangup(channel, cause)
        self.legs.hangup(caller, cause, tech)

    def drop_bridge(self, call: SimCall, first: Channel) -> None:
        """``first`` leaves the bridge and hangs up; the bridge dissolves and the rest follow."""
        bridge = call.bridge
        if bridge is None:
            for channel in call.channels:
                self.legs.hangup(channel)
            return
        for channel in bridge.channels:
            self.bridges.varset(channel, "BRIDGEPEER", "")
        self.release_hold(bridge)
        self.bridges.leave(bridge, first)
        self.legs.hangup(first)
        for channel in list(bridge.channels):
            self.bridges.leave(bridge, channel)
        self.bridges.destroy(bridge)
        for channel in call.channels:
            self.legs.hangup(channel)

    def release_hold(self, bridge: Bridge) -> None:
        """A held channel leaving its bridge is taken off hold (``bridge_channel`` exit)."""
        for channel in bridge.channels:
            if channel.held:
                channel.held = False
                self.legs.moh(channel, start=False)
