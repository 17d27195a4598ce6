"""The ``Originate`` and ``Hangup`` actions, and the life of the calls they start.

Whether a call is answered and how long it lasts is decided per request by an
:class:`OriginatePolicy`, which tests script. An answered call hangs up after its duration
(0: right after the answer events, None: only when hung up), as if its dialplan ran ``Hangup()``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.ami.protocol import Message
from bridge.pbxsim.calls import Call, CallFlows
from bridge.pbxsim.channels import ANSWERED, FAILED, OriginateRequest
from bridge.pbxsim.config import Dialplan
from bridge.pbxsim.session import Reply
from bridge.pbxsim.state import Emit, PbxState

_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})


@dataclass(slots=True)
class OriginatePolicy:
    """How originated calls go; tests change these at will.

    ``duration``: seconds an answered call stays up (0: it hangs up right after its answer
    events; None: until hung up). ``failing_channels``: an Originate to one of these ``Channel``
    values fails (Reason 0). ``result``: if set, gives the ``Reason`` of every Originate (4
    answered, anything else failed). Otherwise a Local channel into an extension the dialplan
    does not run fails, and everything else is answered.
    """

    dialplan: Dialplan
    duration: float | None = 0.0
    failing_channels: set[str] = field(default_factory=set)
    result: Callable[[Message], int] | None = None

    def decide(self, request: Message) -> int:
        """The ``Reason`` this Originate ends with: 4 answered, else failed."""
        if self.result is not None:
            return self.result(request)
        channel = (request.get("Channel") or "").strip()
        if channel in self.failing_channels:
            return FAILED
        if channel.startswith("Local/"):
            exten, _, context = channel[6:].partition("/")[0].partition("@")
            if self.dialplan.apps(context, exten) is None:
                return FAILED
        return ANSWERED


class CallRunner:
    """Starts originated calls, ends them, and answers ``Originate`` and ``Hangup``."""

    def __init__(self, state: PbxState, emit: Emit, policy: OriginatePolicy) -> None:
        self._flows = CallFlows(state, emit)
        self.policy = policy
        self.calls: list[Call] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def originate(self, reply: Reply) -> None:
        """The ``Originate`` action: async answers at once, sync after the outcome is known."""
        request = OriginateRequest.from_message(reply.request)
        if not request.channel:
            reply.error("Channel not specified")
            return
        reason, duration = self.policy.decide(reply.request), self.policy.duration
        is_async = (reply.request.get("Async") or "").strip().lower() in _TRUE
        if is_async or reason == ANSWERED:
            reply.success("Originate successfully queued")
        else:
            reply.error("Originate failed")
        self.start(request, reason, duration, report=is_async)

    def hangup(self, reply: Reply) -> None:
        """The ``Hangup`` action: ends the call a channel belongs to."""
        name = (reply.request.get("Channel") or "").strip()
        if not name:
            reply.error("No channel specified")
            return
        calls = [c for c in self.calls if any(ch.name == name for ch in c.channels)]
        if not calls:
            reply.error("No such channel")
            return
        reply.success("Channel Hungup")
        self.end(calls[0], by_dialplan=False)

    def start(
        self, request: OriginateRequest, reason: int, duration: float | None, *, report: bool
    ) -> Call:
        """Set a call up (events now) and schedule its end."""
        call = self._flows.create(request, time.monotonic())
        if reason != ANSWERED:
            self._flows.fail(call, reason, report=report)
            return call
        self._flows.answer(call, report=report)
        self.calls.append(call)
        if duration == 0:
            self.end(call, by_dialplan=True)
        elif duration is not None:
            task = asyncio.get_running_loop().create_task(self._end_later(call, duration))
            call.task = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return call

    async def _end_later(self, call: Call, duration: float) -> None:
        await asyncio.sleep(duration)
        call.task = None
        self.end(call, by_dialplan=True)

    def end(self, call: Call, *, by_dialplan: bool) -> None:
        """Hang a call up now (its hangup events go out)."""
        if call.ended:
            return
        if call.task is not None:
            call.task.cancel()
            call.task = None
        self.calls.remove(call)
        self._flows.hang_up(call, by_dialplan=by_dialplan)

    def end_matching(self, match: str | None) -> int:
        """End the calls with a channel name, Uniqueid or Linkedid equal to ``match`` (None:
        all); returns how many."""
        calls = [
            call
            for call in self.calls
            if match is None
            or any(match in (ch.name, ch.uniqueid, ch.linkedid) for ch in call.channels)
        ]
        for call in calls:
            self.end(call, by_dialplan=False)
        return len(calls)

    async def close(self) -> None:
        """Forget every call without events (the PBX went away) and stop their timers."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for call in self.calls:
            call.ended = True
            self._flows.forget(call)
        self.calls.clear()
