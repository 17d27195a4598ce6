"""Calls that Dial makes on the simulated PBX: phones, the trunk, Local channels.

A phone's call runs its extension (``dialplan``) up to ``Dial``; the Dial then, in the order
the ``pjsip/`` captures show per channel (``apps/app_dial.c``, ``channels/chan_pjsip.c``)::

    Newchannel callee (Down, exten s: the endpoint's own caller ID and context)
    Newexten callee AppDial "(Outgoing Line)" at the caller's exten, NewConnectedLine callee
    DialBegin, NewConnectedLine caller (the callee: Asterisk sends it at DialBegin)
    the callee rings: Newstate Ringing, DialState RINGING, the PJSIP caller's device (INUSE)
    -- answer --
    Newstate callee Up (its exten is cleared), DialEnd ANSWER, Newstate caller Up
    BridgeCreate, Newexten callee AppDial (exten empty), BridgeEnter callee, BridgeEnter caller

A Local callee (``Dial(Local/1001@internal)``) is a ``;1``/``;2`` pair: ``;1`` is the called
leg, ``;2`` runs the extension and its ``Answer`` answers the Dial. How the call ends is
:mod:`~bridge.pbxsim.hangups`'; a ringing Dial whose caller gives up ends with ``DialEnd
CANCEL`` and the callees' hang-up with the caller's cause (a phone's CANCEL: 127, TechCause 487).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bridge.pbxsim.bridges import BridgeOps
from bridge.pbxsim.channels import RUNS_OUTGOING, UNKNOWN, Channel, local_bridge
from bridge.pbxsim.dialplan import DialplanRunner
from bridge.pbxsim.hangups import QUIET, REMOTE, Hangups
from bridge.pbxsim.simcall import SimCall


class PhoneCalls:
    """Plays calls placed by phones or arriving on the trunk; keeps the live ones."""

    def __init__(self, runner: DialplanRunner, bridges: BridgeOps) -> None:
        self.runner = runner
        self.legs = runner.legs
        self.hangups: Hangups = runner.hangups
        self.bridges = bridges
        self.calls: list[SimCall] = []
        self.answer_dials = True  # phones answer the Dials of the dialplan (a test may not)
        self._route: str | None = None
        self.queue_answered: Callable[[SimCall], None] = lambda call: None  # set by the queues
        runner.apps["Dial"] = self.dial_app
        runner.answered = self._local_answered
        self.hangups.settled.append(self._prune)

    # -- what a test plays ---------------------------------------------------------------------
    def place_call(
        self, from_device: str, to_number: str, *, to_device: str | None = None,
        answer: bool = True, context: str = "from-internal",
    ) -> SimCall:  # fmt: skip
        """A phone dials ``to_number`` and its extension runs (see the module docstring)."""
        device = self.legs.device_of(from_device)
        caller = self.legs.pjsip(device, state=4, context=context, exten=to_number,
                                 cid=self.legs.endpoint_cid(device))  # fmt: skip
        return self.dial(caller, to_number, to_device=to_device, answer=answer)

    def inbound_call(
        self, caller_number: str, did: str, to_device: str, *, caller_name: str = "",
        trunk: str = "PJSIP/trunk", answer: bool = True,
    ) -> SimCall:  # fmt: skip
        """A call from the trunk to ``did`` (context ``from-trunk``), routed to ``to_device``."""
        caller = self.legs.pjsip(trunk, state=4, context="from-trunk", exten=did,
                                 cid=(caller_number, caller_name or UNKNOWN))  # fmt: skip
        return self.dial(caller, did, to_device=self.legs.device_of(to_device), answer=answer)

    def dial(
        self, caller: Channel, number: str, *, to_device: str | None = None, answer: bool = True,
        arrived: bool = False,
    ) -> SimCall:  # fmt: skip
        """``caller`` runs its extension (``arrived``: sent there by a transfer); its Dial goes
        to ``to_device`` if given, and the phone it rings answers if ``answer``. Without a Dial
        in the extension, a routed call runs a ``Dial`` of its own (and ends when it returns).
        The call (possibly of the caller alone: an outside number the dialplan answers itself;
        already over: a DND phone is busy)."""
        apps = self.runner.apps_of(caller)
        self._route, saved, self.answer_dials = to_device, self.answer_dials, answer
        try:
            if to_device is not None and not any(name == "Dial" for name, _ in apps):
                data = f"PJSIP/{self._dialstring(caller, to_device)},,tT"
                self.runner.scripts[caller.name] = [("Dial", data)]
            self.runner.run(caller, arrived=arrived)
        finally:
            self._route, self.answer_dials = None, saved
        call = next((c for c in reversed(self.calls) if c.caller is caller), None)
        if call is None:
            call = SimCall(caller, ended=not self.hangups.live(caller))
            if not call.ended:
                self.calls.append(call)
        return call

    def answer(self, call: SimCall) -> None:
        """The callee answers: Up, ``DialEnd ANSWER``, caller Up, both bridged."""
        caller, callee = call.caller, call.callee
        if call.answered or call.ended or callee is None:
            return
        if callee.state != 6:
            self.legs.newstate(callee, 6)
        callee.exten = ""  # app_dial: the answered leg leaves the caller's extension
        self.legs.dial("DialEnd", caller, callee, ("DialStatus", "ANSWER"))
        self.hangups.waiting.pop(caller.name, None)
        if caller.state != 6:
            self.legs.newstate(caller, 6)
        self.connect(call, callee, appl="AppDial")

    def hangup_call(self, call: SimCall, by: Channel | None = None) -> None:
        """The phone of ``by`` (default: the caller) hangs up, the rest follows (``hangups``).
        A caller hanging up before the answer cancels its INVITE (Cause 127, TechCause 487)."""
        first = by or call.caller
        if first is call.caller and not call.answered and call.callee is not None:
            self.hangups.end(first, REMOTE, 127, tech_cause=487)
        else:
            in_queue = bool(call.queue) and first is call.caller  # no Cause then, as captured
            self.hangups.end(first, REMOTE, None if in_queue else 16)

    # -- the Dial application --------------------------------------------------------------------
    def dial_app(self, caller: Channel, data: str) -> int | None:
        """``Dial(data)``: ring the first target; the caller waits in Dial (None)."""
        target = data.split(",")[0].split("&")[0]
        device = self._route or target.partition("@")[0]
        if device.startswith("PJSIP/") and "@" in target and self._route is None:
            device = f"PJSIP/{target.partition('@')[2]}"
        call = SimCall(caller)
        self.calls.append(call)
        self.hangups.waiting[caller.name] = lambda gone: self._cancel(call, gone)
        if device.startswith("Local/"):
            self._ring_local(call, target.partition("/")[2])
        else:
            self._ring(call, device, self._dialstring(caller, device, target))
            if self.answer_dials:
                self.answer(call)
        return None

    def _dialstring(self, caller: Channel, device: str, target: str = "") -> str:
        trunk, resource = self.legs.state.config.trunk, device.partition("/")[2]
        if resource != trunk:
            return resource
        number = target.partition("/")[2].partition("@")[0] if "@" in target else caller.exten
        return f"{number}@{trunk}"

    def _ring(self, call: SimCall, device: str, dialstring: str) -> None:
        caller, legs = call.caller, self.legs
        trunk = device == f"PJSIP/{legs.state.config.trunk}"
        callee = legs.pjsip(
            device,
            state=0,
            context="from-trunk" if trunk else "from-internal",
            exten="s",
            cid=legs.endpoint_cid(device),
            linkedid=caller.linkedid,
        )
        callee.runs, call.callee = RUNS_OUTGOING, callee
        legs.varset(callee, "DIALEDPEERNUMBER", dialstring)
        callee.connected_num, callee.connected_name = caller.cid_num, caller.cid_name
        legs.newexten(callee, "AppDial", "(Outgoing Line)", exten=caller.exten)
        if callee.cid_num == UNKNOWN:  # no caller ID of its own: the number dialed
            legs.callerid(callee, (dialstring.partition("@")[0], UNKNOWN))
        legs.connected(callee, (caller.cid_num, caller.cid_name))
        legs.dial("DialBegin", caller, callee, ("DialString", dialstring))
        legs.connected(caller, (callee.cid_num, callee.cid_name))
        legs.newstate(callee, 5)
        legs.dial("DialState", caller, callee, ("DialStatus", "RINGING"))
        if caller.device.startswith("PJSIP/"):  # chan_pjsip_indicate: ringing back
            legs.publish(caller.device)

    def _ring_local(self, call: SimCall, resource: str) -> None:
        caller, legs = call.caller, self.legs
        exten, _, context = resource.partition("@")
        one, two = legs.local_pair(exten, context, caller.linkedid)
        one.runs, call.callee, call.helpers = RUNS_OUTGOING, one, [two]
        cid = (caller.cid_num, caller.cid_name)
        for channel in (one, two):
            legs.varset(channel, "DIALEDPEERNUMBER", resource)
            channel.connected_num, channel.connected_name = cid  # set with the caller ID
            if channel is one:
                one.cid_num, one.cid_name = cid
                legs.newexten(one, "AppDial", "(Outgoing Line)", exten=caller.exten)
            legs.callerid(channel, cid)
            legs.connected(channel, cid)
        legs.emit(local_bridge(one, two))
        legs.dial("DialBegin", caller, one, ("DialString", resource))
        self.runner.run(two)

    def _local_answered(self, two: Channel) -> None:
        """A Local callee's ``;2`` answered: the Dial (or Queue) on its ``;1`` hears it."""
        for call in self.calls:
            if two.partner is not None and two.partner in (call.callee, *call.ringing):
                (self.queue_answered if call.queue else self.answer)(call)
                return

    def _cancel(self, call: SimCall, caller: Channel) -> None:
        for callee in [c for c in (call.callee, *call.ringing) if c is not None]:
            if self.hangups.live(callee):
                self.legs.dial("DialEnd", caller, callee, ("DialStatus", "CANCEL"))
                self.hangups.end(callee, QUIET, caller.hangupcause)

    # -- bridging --------------------------------------------------------------------------------
    def connect(self, call: SimCall, agent: Channel, *, appl: str = "") -> None:
        """Bridge ``agent`` (entering first, as captured) with the caller; ``appl``: the
        agent's application, shown again as it enters (an answered AppDial leg)."""
        bridge = self.bridges.create()
        if appl:
            self.legs.newexten(agent, appl, "(Outgoing Line)")
        self.bridges.enter(bridge, agent)
        self.bridges.enter(bridge, call.caller)
        self.bridges.set_peers(bridge)
        call.bridge, call.answered, call.answered_at = bridge, True, time.monotonic()

    def _prune(self) -> None:
        """Forget the calls that are over (a channel of the pair gone, their bridge broken)."""
        live = self.hangups.live
        for call in list(self.calls):
            broken = call.answered and (
                call.bridge is None or call.bridge.uniqueid not in self.bridges.bridges
            )
            gone = not live(call.caller) or (call.callee is not None and not live(call.callee))
            if gone or broken:
                call.ended = True
                self.calls.remove(call)
