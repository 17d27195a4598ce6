"""The ``Originate`` and ``Hangup`` actions, and the life of the calls they start.

Whether a call is answered and how long it lasts is decided per request by ``decide`` (the
simulator's scripting hooks). An answered call hangs up after its duration (0: right after the
answer events, None: only when hung up), as if its dialplan had run ``Hangup()``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bridge.ami.protocol import Message
from bridge.ami.sim_calls import Call, CallFlows
from bridge.ami.sim_channels import ANSWERED, OriginateRequest
from bridge.ami.sim_session import Reply
from bridge.ami.sim_state import Emit, PbxState

Decision = Callable[[Message], tuple[int, float | None]]
_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})


class CallRunner:
    """Starts originated calls, ends them, and answers ``Originate`` and ``Hangup``."""

    def __init__(self, state: PbxState, emit: Emit, decide: Decision) -> None:
        self._flows = CallFlows(state, emit)
        self._decide = decide
        self.calls: list[Call] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def originate(self, reply: Reply) -> None:
        """The ``Originate`` action: async answers at once, sync after the outcome is known."""
        request = OriginateRequest.from_message(reply.request)
        if not request.channel:
            reply.error("Channel not specified")
            return
        reason, duration = self._decide(reply.request)
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
