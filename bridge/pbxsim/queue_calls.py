"""Calls into a queue on the simulated PBX (``apps/app_queue.c``, strategy ringall).

The caller runs ``Queue()`` from its extension: ``Queue:<q>`` RINGING, ``QueueCallerJoin``. Every
available member is rung at once (``AgentCalled``, whose Dest block already shows the member's
new connected line and extension, then ``DialBegin``, whose does not), in the order app_queue
builds its outgoing list: its member container's hash order, reversed. A PJSIP member's leg
rings (``Newstate Ringing``, ``Newexten AppQueue`` at the caller's extension,
``NewConnectedLine``, ``DialState``); a Local member (``Local/4224@internal``, the lab's) is a
``;1``/``;2`` pair whose ``;2`` runs the member's extension and answers by itself. While no
member is available (paused, busy) callers wait; a member that becomes available rings for the
first of them.

When a member answers: ``DialEnd ANSWER``, ``DialEnd CANCEL`` of the others (twice, the second
after the caller's new connected line, as ``pjsip/did_to_queue`` shows), ``QueueCallerLeave``,
``AgentConnect``, a caller not yet answered goes Up (Queue() without ``r`` answers only now),
the losers hang up (Cause 26, answered elsewhere), the bridge. When the bridge breaks:
``AgentComplete`` (Reason caller or agent) and the member's statistics, which its next
``QueueMemberStatus`` shows. A caller that hangs up while waiting abandons:
``QueueCallerAbandon``, ``QueueCallerLeave``.
"""

from __future__ import annotations

import dataclasses

from bridge.pbxsim.channels import (
    RUNS_OUTGOING,
    UNKNOWN,
    Channel,
    channel_headers,
    local_bridge,
)
from bridge.pbxsim.config import QueueMember
from bridge.pbxsim.events import event
from bridge.pbxsim.hangups import QUIET
from bridge.pbxsim.members import member_available, ring_order
from bridge.pbxsim.phone import PhoneCalls
from bridge.pbxsim.queue_exits import QueueExits, agent_headers
from bridge.pbxsim.simcall import SimCall


class QueueCalls:
    """Plays calls through ``Queue()`` on top of :class:`PhoneCalls`."""

    def __init__(self, phones: PhoneCalls) -> None:
        self._phones = phones
        self._legs = phones.legs
        self._state = phones.legs.state
        self._exits = QueueExits(phones.legs, phones.hangups)
        self._rung: dict[str, QueueMember] = {}  # a leg ringing for a queue -> its member
        phones.hangups.settled.append(self._forget)
        phones.runner.apps["Queue"] = self.queue_app
        phones.queue_answered = self.answer

    def queue_call(
        self, caller_number: str, queue_name: str, answered_by_interface: str, *,
        did: str | None = None, caller_name: str = "", answer: bool = True,
    ) -> SimCall:  # fmt: skip
        """A call into ``queue_name`` (to its extension, or from the trunk to ``did``),
        answered by the member ``answered_by_interface`` unless ``answer`` is False."""
        queue = self._state.config.queue(queue_name)
        if queue.member(answered_by_interface) is None:
            raise LookupError(f"{answered_by_interface} is no member of {queue_name}")
        context, exten = ("from-trunk", did) if did else self._entry(queue_name)
        if self._legs.is_endpoint(caller_number):
            device = self._legs.device_of(caller_number)
            cid = self._legs.endpoint_cid(device)
        else:
            device = f"PJSIP/{self._state.config.trunk}"
            cid = (caller_number, caller_name or UNKNOWN)
        caller = self._legs.pjsip(device, state=4, context=context, exten=exten, cid=cid)
        runner = self._phones.runner
        if not any(name == "Queue" for name, _ in runner.apps_of(caller)):
            # an entry the dialplan does not have: answer, then Queue()
            runner.scripts[caller.name] = [("Answer", ""), ("Queue", f"{queue_name},t,,,300")]
        runner.run(caller)
        call = next(c for c in reversed(self._phones.calls) if c.caller is caller)
        call.member = answered_by_interface
        if answer:
            self.answer(call)
        return call

    def _entry(self, queue: str) -> tuple[str, str]:
        for context, entries in self._state.config.dialplan.contexts.items():
            for exten, entry in entries.items():
                if any(a == "Queue" and d.split(",")[0] == queue for a, d in entry.apps):
                    return context, exten
        return "from-internal", queue

    # -- the Queue application -------------------------------------------------------------------
    def queue_app(self, caller: Channel, data: str) -> int | None:
        """``Queue(data)``: join, ring who is available; the caller waits in Queue (None)."""
        queue = self._state.config.queue(data.split(",")[0])
        self._exits.join(queue, caller)
        call = SimCall(caller, queue=queue.name)
        self._phones.calls.append(call)
        self._phones.hangups.waiting[caller.name] = lambda gone: self._exits.abandon(call, gone)
        self.ring(call)
        return None

    def _forget(self) -> None:
        for name in [n for n in self._rung if n not in self._state.channels]:
            del self._rung[name]

    def members_changed(self, queue_name: str) -> None:
        """A member may have become available: ring it for the first caller waiting."""
        for call in self._phones.calls:
            if call.queue == queue_name and not call.answered and not call.ringing:
                self.ring(call)
                return

    def ring(self, call: SimCall) -> None:
        """Ring every available member for ``call`` (see the module docstring)."""
        queue = self._state.config.queue(call.queue)
        busy = {c.member for c in self._phones.calls if c.queue == call.queue and c.answered}
        members = [
            m for m in ring_order(queue.members)
            if member_available(m) and m.interface not in busy
        ]  # fmt: skip
        for leg in [self._call_member(call, member) for member in members]:
            if leg.partner is not None:
                self._phones.runner.run(leg.partner)  # its ;2 runs the member's extension
            elif not call.answered:
                self._ring_leg(call, leg)
            if call.answered:
                return

    def _call_member(self, call: SimCall, member: QueueMember) -> Channel:
        caller, legs = call.caller, self._legs
        if member.interface.startswith("Local/"):
            exten, _, context = member.interface[6:].partition("/")[0].partition("@")
            leg, two = legs.local_pair(exten, context, caller.linkedid)
            leg.runs = RUNS_OUTGOING
            wanted = (caller.connected_num, caller.connected_name)
            leg.cid_num, leg.cid_name = wanted if wanted[0] != UNKNOWN else (caller.exten, UNKNOWN)
            legs.newexten(leg, "AppQueue", "(Outgoing Line)")
            legs.callerid(leg, (leg.cid_num, leg.cid_name))
            for channel in (leg, two):
                legs.varset(channel, "DIALEDPEERNUMBER", f"{exten}@{context}")
            two.connected_num, two.connected_name = caller.cid_num, caller.cid_name
            legs.callerid(two, (caller.cid_num, caller.cid_name))
            legs.connected(two, (caller.cid_num, caller.cid_name))
            legs.emit(local_bridge(leg, two))
        else:
            leg = legs.pjsip(
                member.interface,
                state=0,
                context="from-internal",
                exten="s",
                cid=legs.endpoint_cid(member.interface),
                linkedid=caller.linkedid,
            )
            leg.runs = RUNS_OUTGOING
            legs.varset(leg, "DIALEDPEERNUMBER", member.interface.partition("/")[2])
        call.ringing.append(leg)
        self._rung[leg.name] = member
        seen = dataclasses.replace(leg, exten=caller.exten)  # as AgentCalled's snapshot shows it
        seen.connected_num, seen.connected_name = caller.cid_num, caller.cid_name
        extra = agent_headers(call.queue, member.interface, member)
        legs.emit(event("AgentCalled", "agent", [
            *channel_headers(caller), *channel_headers(seen, "Dest"), *extra,
        ]))  # fmt: skip
        legs.dial("DialBegin", caller, leg, ("DialString", member.interface))
        return leg

    def _ring_leg(self, call: SimCall, leg: Channel) -> None:
        caller, legs = call.caller, self._legs
        leg.connected_num, leg.connected_name = caller.cid_num, caller.cid_name
        leg.exten = caller.exten
        legs.newstate(leg, 5)
        legs.newexten(leg, "AppQueue", "(Outgoing Line)")
        legs.connected(leg, (caller.cid_num, caller.cid_name))
        legs.dial("DialState", caller, leg, ("DialStatus", "RINGING"))

    # -- answer and end --------------------------------------------------------------------------
    def answer(self, call: SimCall, leg: Channel | None = None) -> None:
        """A member answers ``call``: its chosen member (``call.member``), else the first rung."""
        if call.answered or call.ended or not call.ringing:
            return
        if leg is None:  # a Local member whose ;2 answered, else the member asked for
            chosen = [c for c in call.ringing if c.partner is not None and c.partner.state == 6]
            chosen += [c for c in call.ringing if self._rung[c.name].interface == call.member]
            leg = (chosen or call.ringing)[0]
        caller, legs = call.caller, self._legs
        queue = self._state.config.queue(call.queue)
        member = self._rung[leg.name]
        for rung in call.ringing:
            del self._rung[rung.name]
        call.member, call.callee = member.interface, leg
        losers = [c for c in call.ringing if c is not leg]
        if leg.partner is None:
            member.in_call = True  # the member's new state is seen after AgentConnect
            legs.newstate(leg, 6)
        else:  # the ;1 of a Local member comes Up already in the caller's extension
            leg.exten = caller.exten
            leg.connected_num, leg.connected_name = caller.cid_num, caller.cid_name
            legs.newstate(leg, 6)
            legs.newexten(leg, "AppQueue", "(Outgoing Line)")
            legs.connected(leg, (caller.cid_num, caller.cid_name))
        legs.dial("DialEnd", caller, leg, ("DialStatus", "ANSWER"))
        for loser in losers:
            legs.dial("DialEnd", caller, loser, ("DialStatus", "CANCEL"))
        if (caller.connected_num, caller.connected_name) != (leg.cid_num, leg.cid_name):
            legs.connected(caller, (leg.cid_num, leg.cid_name))
        for loser in losers:
            legs.dial("DialEnd", caller, loser, ("DialStatus", "CANCEL"))
        self._phones.hangups.waiting.pop(caller.name, None)
        wait = self._exits.answered(queue, caller)
        extra = agent_headers(call.queue, member.interface, member)
        legs.emit(event("AgentConnect", "agent", [
            *channel_headers(caller), *channel_headers(leg, "Dest"), *extra,
            ("HoldTime", str(wait)), ("RingTime", "0"),
        ]))  # fmt: skip
        member.in_call = True
        if caller.state != 6:
            legs.newstate(caller, 6)
        for loser in losers:
            self._phones.hangups.end(loser, QUIET, 26)
        call.ringing, call.hold_time = [leg], wait
        self._phones.connect(call, leg)
        assert call.bridge is not None
        call.bridge.on_break = lambda first: self._exits.complete(call, first)
