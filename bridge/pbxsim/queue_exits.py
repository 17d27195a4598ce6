"""How callers leave a queue on the simulated PBX (``apps/app_queue.c``).

Answered: ``QueueCallerLeave`` (its position then, the callers left), ``QUEUEPOSITION`` and
``QUEUEWAIT``; ``Queue:<q>`` back to NOT_INUSE once nobody waits. Completed, when the bridge of an
answered call breaks: ``AgentComplete`` (Reason caller or agent: who left first), the queue's
and the member's statistics (calls taken, last call: its next ``QueueMemberStatus`` shows them).
Abandoned, when a caller hangs up while it waits: the legs ringing for it are cancelled
(``DialEnd CANCEL``), ``QueueCallerAbandon`` (Position now, OriginalPosition when it joined),
``QueueCallerLeave``.
"""

from __future__ import annotations

import time

from bridge.pbxsim.channels import Channel, channel_event, channel_headers
from bridge.pbxsim.config import Queue, QueueMember
from bridge.pbxsim.events import event
from bridge.pbxsim.hangups import QUIET, Hangups
from bridge.pbxsim.legs import ChannelOps
from bridge.pbxsim.simcall import SimCall


class QueueExits:
    """Callers joining and leaving the queues of one PBX."""

    def __init__(self, legs: ChannelOps, hangups: Hangups) -> None:
        self._legs = legs
        self._hangups = hangups
        self._state = legs.state
        self._positions: dict[str, int] = {}  # caller Uniqueid -> position when it joined

    def join(self, queue: Queue, caller: Channel) -> None:
        """``caller`` waits in ``queue``: ``Queue:<q>`` RINGING, ``QueueCallerJoin``."""
        self._state.set_device_state(f"Queue:{queue.name}", "RINGING")
        queue.callers[caller.uniqueid] = time.monotonic()
        count = str(len(queue.callers))
        self._positions[caller.uniqueid] = len(queue.callers)
        extra = (("Queue", queue.name), ("Position", count), ("Count", count))
        self._legs.emit(channel_event("QueueCallerJoin", caller, *extra, privilege="agent"))

    def answered(self, queue: Queue, caller: Channel) -> int:
        """``caller`` was answered and leaves the queue; how long it waited."""
        position, waited = self._out(queue, caller)
        self._leave_event(queue, caller, position)
        for variable, value in (("QUEUEPOSITION", str(position)), ("QUEUEWAIT", str(waited)),
                                ("QUEUEWAIT_MS", str(waited * 1000))):  # fmt: skip
            self._legs.varset(caller, variable, value)
        return waited

    def complete(self, call: SimCall, first: Channel) -> None:
        """The bridge of an answered queue call breaks (``first`` left it first)."""
        queue = self._state.config.queue(call.queue)
        member, leg = queue.member(call.member), call.callee
        assert leg is not None
        talk = int(time.monotonic() - call.answered_at)
        self._legs.emit(event("AgentComplete", "agent", [
            *channel_headers(call.caller), *channel_headers(leg, "Dest"),
            *agent_headers(call.queue, call.member, member), ("HoldTime", str(call.hold_time)),
            ("TalkTime", str(talk)), ("Reason", "caller" if first is call.caller else "agent"),
        ]))  # fmt: skip
        queue.completed += 1
        queue.talktime = (queue.talktime * 3 + talk) >> 2
        queue.holdtime = (queue.holdtime * 3 + call.hold_time) >> 2
        if member is not None:
            member.calls_taken += 1
            member.last_call = int(time.time())
            member.in_call = False

    def abandon(self, call: SimCall, caller: Channel) -> None:
        """``caller`` hangs up while it waits in ``call``'s queue."""
        queue = self._state.config.queue(call.queue)
        for leg in call.ringing:
            self._legs.dial("DialEnd", caller, leg, ("DialStatus", "CANCEL"))
            self._hangups.end(leg, QUIET, caller.hangupcause or 16)
        position, waited = self._out(queue, caller)
        queue.abandoned += 1
        original = self._positions.pop(caller.uniqueid, position)
        self._legs.emit(channel_event("QueueCallerAbandon", caller, ("Queue", call.queue),
                                      ("Position", str(position)),
                                      ("OriginalPosition", str(original)),
                                      ("HoldTime", str(waited)), privilege="agent"))  # fmt: skip
        self._leave_event(queue, caller, position)

    def _out(self, queue: Queue, caller: Channel) -> tuple[int, int]:
        """Take ``caller`` out of ``queue``: its position, and the seconds it waited."""
        position = list(queue.callers).index(caller.uniqueid) + 1
        joined = queue.callers.pop(caller.uniqueid, time.monotonic())
        if not queue.callers:
            self._state.set_device_state(f"Queue:{queue.name}", "NOT_INUSE")
        return position, int(time.monotonic() - joined)

    def _leave_event(self, queue: Queue, caller: Channel, position: int) -> None:
        self._legs.emit(channel_event("QueueCallerLeave", caller, ("Queue", queue.name),
                                      ("Position", str(position)),
                                      ("Count", str(len(queue.callers))),
                                      privilege="agent"))  # fmt: skip


def agent_headers(queue: str, interface: str, member: QueueMember | None) -> list[tuple[str, str]]:
    """``Queue``, ``Interface``, ``MemberName`` of the Agent* events."""
    name = (member.name or member.interface) if member is not None else interface
    return [("Queue", queue), ("Interface", interface), ("MemberName", name)]
