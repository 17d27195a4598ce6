"""Calls into a queue on the simulated PBX, answered by one member (``apps/app_queue.c``).

The order and header blocks follow the ``queue_call_events`` capture: the caller answers and
runs Queue (``VarSet`` of the empty queue variables, ``Queue:<q>`` RINGING, ``QueueCallerJoin``);
the member's channel is made (``AppQueue (Outgoing Line)``, ``DIALEDPEERNUMBER``, caller ID and
connected line), ``AgentCalled``, ``DialBegin``; it rings (PJSIP) and answers: ``DialEnd``,
``Queue:<q>`` NOT_INUSE, ``QueueCallerLeave``, ``QUEUEPOSITION``/``QUEUEWAIT``, ``AgentConnect``,
the bridge. On hang-up: ``AgentComplete`` (Reason caller or agent), the bridge undone, the
timing variables, both hang up, and the member's new ``QueueMemberStatus`` (calls taken, last
call). A Local member (``Local/4224@internal``, the lab's) is a ``;1``/``;2`` pair with a
``LocalBridge``, its ``;2`` running the member extension's dialplan, as captured.
"""

from __future__ import annotations

import time

from bridge.pbxsim.channels import UNKNOWN, Channel, channel_event, channel_headers
from bridge.pbxsim.config import QueueMember
from bridge.pbxsim.events import event
from bridge.pbxsim.phone import PhoneCalls, SimCall
from bridge.pbxsim.state import PbxState

_QUEUE_VARS = ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS")


class QueueCalls:
    """Plays calls through ``Queue()`` on top of :class:`PhoneCalls`."""

    def __init__(self, phones: PhoneCalls) -> None:
        self._phones = phones
        self._legs = phones.legs
        self._state: PbxState = phones.legs.state

    def _agent_event(self, name: str, call: SimCall, *extra: tuple[str, str]) -> None:
        assert call.callee is not None
        headers = [*channel_headers(call.caller), *channel_headers(call.callee, "Dest")]
        self._legs.emit(event(name, "agent", [*headers, *extra]))

    def _entry(self, queue: str) -> tuple[str, str] | None:
        for context, entries in self._state.config.dialplan.contexts.items():
            for exten, entry in entries.items():
                if any(a == "Queue" and d.split(",")[0] == queue for a, d in entry.apps):
                    return context, exten
        return None

    def queue_call(
        self, caller_number: str, queue_name: str, answered_by_interface: str, *,
        did: str | None = None, caller_name: str = "", answer: bool = True,
    ) -> SimCall:  # fmt: skip
        """A call into ``queue_name`` (to its extension, or from the trunk to ``did``)."""
        queue = self._state.config.queue(queue_name)
        member = queue.member(answered_by_interface)
        if member is None:
            raise LookupError(f"{answered_by_interface} is no member of {queue_name}")
        place = self._entry(queue_name) if did is None else None
        context, exten = place or ("from-trunk", did or queue_name)
        if self._legs.is_endpoint(caller_number):
            device = self._legs.device_of(caller_number)
            cid = self._legs.endpoint_cid(device)
        else:
            device = f"PJSIP/{self._state.config.trunk}"
            cid = (caller_number, caller_name or UNKNOWN)
        caller = self._legs.pjsip(device, state=4, context=context, exten=exten, cid=cid)
        self._run_to_queue(caller, queue_name)
        for variable in (*_QUEUE_VARS, "QUEUEWAIT", "QUEUEWAIT_MS"):
            self._phones.bridges.varset(caller, variable, "")
        self._state.set_device_state(f"Queue:{queue_name}", "RINGING")
        queue.callers[caller.uniqueid] = time.monotonic()
        count = str(len(queue.callers))
        extra = (("Queue", queue_name), ("Position", count), ("Count", count))
        self._legs.emit(channel_event("QueueCallerJoin", caller, *extra, privilege="agent"))
        call = SimCall(caller, queue=queue_name, member=member.interface)
        self._phones.calls.append(call)
        self._ring_member(call, member)
        if answer:
            self.answer(call)
        return call

    def _run_to_queue(self, caller: Channel, queue_name: str) -> None:
        entry = self._state.config.dialplan.find(caller.context, caller.exten)
        apps = entry.apps if entry is not None and any(a == "Queue" for a, _ in entry.apps) else []
        apps = apps or [("Answer", ""), ("Queue", f"{queue_name},t,,,300")]
        for priority, (name, data) in enumerate(apps, 1):
            self._legs.newexten(caller, name, data, priority=priority)
            if name == "Answer":
                self._legs.newstate(caller, 6)
            if name == "Queue":
                return

    def _ring_member(self, call: SimCall, member: QueueMember) -> None:
        caller, legs = call.caller, self._legs
        wanted = (caller.connected_num, caller.connected_name)
        if wanted[0] == UNKNOWN:
            wanted = (caller.exten, UNKNOWN)
        if member.interface.startswith("Local/"):
            exten, _, context = member.interface[6:].partition("/")[0].partition("@")
            one, two = legs.local_pair(exten, context, caller.linkedid)
            call.callee, call.helpers = one, [two]
            legs.newexten(one, "AppQueue", "(Outgoing Line)")
            legs.callerid(one, wanted)
            one.connected_num, one.connected_name = caller.cid_num, caller.cid_name
            for channel in (one, two):
                self._phones.bridges.varset(channel, "DIALEDPEERNUMBER", f"{exten}@{context}")
            legs.callerid(two, (caller.cid_num, caller.cid_name))
            legs.connected(two, (caller.cid_num, caller.cid_name))
            legs.emit(event("LocalBridge", "call", [
                *channel_headers(one, "LocalOne"), *channel_headers(two, "LocalTwo"),
                ("Context", context), ("Exten", exten), ("LocalOptimization", "Yes"),
            ]))  # fmt: skip
        else:
            device = member.interface
            agent = legs.pjsip(device, state=0, context="from-internal", exten="s",
                               cid=legs.endpoint_cid(device), linkedid=caller.linkedid)  # fmt: skip
            call.callee = agent
            legs.newexten(agent, "AppQueue", "(Outgoing Line)", exten=caller.exten)
            if agent.cid_num == UNKNOWN:
                legs.callerid(agent, wanted)
            self._phones.bridges.varset(agent, "DIALEDPEERNUMBER", device.partition("/")[2])
            legs.connected(agent, (caller.cid_num, caller.cid_name))
        extra = (("Queue", call.queue), ("Interface", member.interface))
        self._agent_event("AgentCalled", call, *extra, ("MemberName", _name(member)))
        assert call.callee is not None
        legs.dial("DialBegin", caller, call.callee, ("DialString", member.interface))
        if not call.helpers:
            legs.newstate(call.callee, 5)
            legs.dial("DialState", caller, call.callee, ("DialStatus", "RINGING"))
            legs.publish(caller.device)

    def answer(self, call: SimCall) -> None:
        """The member answers: ``DialEnd``, ``QueueCallerLeave``, ``AgentConnect``, bridge."""
        agent, caller, legs = call.callee, call.caller, self._legs
        if call.answered or call.ended or agent is None:
            return
        queue = self._state.config.queue(call.queue)
        member = queue.member(call.member)
        if call.helpers:  # a Local member: ;2 answers in its own dialplan, then ;1 is up
            two = call.helpers[0]
            legs.newexten(two, "Answer", "", priority=1)
            legs.newstate(two, 6)
            legs.newstate(agent, 6)
            legs.newexten(agent, "AppQueue", "(Outgoing Line)", exten=caller.exten)
            legs.connected(agent, (caller.cid_num, caller.cid_name))
        else:
            legs.newstate(agent, 6)
            legs.connected(caller, (agent.cid_num, agent.cid_name))
        legs.dial("DialEnd", caller, agent, ("DialStatus", "ANSWER"))
        joined = queue.callers.pop(caller.uniqueid, time.monotonic())
        if not queue.callers:
            self._state.set_device_state(f"Queue:{call.queue}", "NOT_INUSE")
        legs.emit(channel_event("QueueCallerLeave", caller, ("Queue", call.queue),
                                ("Position", "1"), ("Count", str(len(queue.callers))),
                                privilege="agent"))  # fmt: skip
        wait = int(time.monotonic() - joined)
        for variable, value in (("QUEUEPOSITION", "1"), ("QUEUEWAIT", str(wait)),
                                ("QUEUEWAIT_MS", str(wait * 1000))):  # fmt: skip
            self._phones.bridges.varset(caller, variable, value)
        extra = (("Queue", call.queue), ("Interface", call.member))
        name = _name(member) if member is not None else call.member
        self._agent_event("AgentConnect", call, *extra, ("MemberName", name),
                          ("HoldTime", str(wait)), ("RingTime", "0"))  # fmt: skip
        if member is not None:
            member.in_call = True
        legs.publish(agent.device)
        self._phones.connect(call, agent)
        call.hold_time = wait
        if call.helpers:
            legs.newexten(call.helpers[0], *_next_app(self._state, call.helpers[0]), priority=2)

    def hangup_call(self, call: SimCall, by: Channel | None = None, *, soft: bool = False) -> None:
        """End a queue call: ``by`` (default: the caller) hangs up (see the module doc)."""
        if call.ended:
            return
        if not call.answered:
            self._abandon(call, soft=soft)
            return
        call.ended = True
        self._phones.calls.remove(call)
        first, agent, caller = by or call.caller, call.callee, call.caller
        assert agent is not None and call.bridge is not None
        self._legs.request_hangup(first, 16 if soft else None, soft=soft)
        queue = self._state.config.queue(call.queue)
        member = queue.member(call.member)
        talk = int(time.monotonic() - call.answered_at)
        reason = "caller" if first is caller else "agent"
        self._agent_event("AgentComplete", call, ("Queue", call.queue), ("Interface", call.member),
                          ("MemberName", _name(member) if member else call.member),
                          ("HoldTime", str(call.hold_time)), ("TalkTime", str(talk)),
                          ("Reason", reason))  # fmt: skip
        for variable, value in zip(_QUEUE_VARS, (str(talk), str(talk * 1000)), strict=False):
            self._phones.bridges.varset(caller, variable, value)
        queue.completed += 1
        queue.talktime = (queue.talktime * 3 + talk) >> 2
        queue.holdtime = (queue.holdtime * 3 + call.hold_time) >> 2
        if member is not None:
            member.calls_taken += 1
            member.last_call = int(time.time())
            member.in_call = False
        self._phones.drop_bridge(call, first)

    def _abandon(self, call: SimCall, *, soft: bool) -> None:
        """The caller hangs up while the member still rings."""
        call.ended = True
        self._phones.calls.remove(call)
        caller, legs, queue = call.caller, self._legs, self._state.config.queue(call.queue)
        legs.request_hangup(caller, 16 if soft else None, soft=soft)
        if call.callee is not None:
            legs.dial("DialEnd", caller, call.callee, ("DialStatus", "CANCEL"))
            for channel in (call.callee, *call.helpers):
                legs.hangup(channel)
        joined = queue.callers.pop(caller.uniqueid, time.monotonic())
        queue.abandoned += 1
        if not queue.callers:
            self._state.set_device_state(f"Queue:{call.queue}", "NOT_INUSE")
        held = str(int(time.monotonic() - joined))
        legs.emit(channel_event("QueueCallerAbandon", caller, ("Queue", call.queue),
                                ("Position", "1"), ("OriginalPosition", "1"), ("HoldTime", held),
                                privilege="agent"))  # fmt: skip
        legs.emit(channel_event("QueueCallerLeave", caller, ("Queue", call.queue),
                                ("Position", "1"), ("Count", str(len(queue.callers))),
                                privilege="agent"))  # fmt: skip
        legs.hangup(caller)


def _name(member: QueueMember) -> str:
    return member.name or member.interface


def _next_app(state: PbxState, channel: Channel) -> tuple[str, str]:
    """The application after ``Answer`` in a Local member's own extension (Wait, say)."""
    apps = state.config.dialplan.apps(channel.context, channel.exten) or []
    return apps[1] if len(apps) > 1 else ("Wait", "30")
