"""The ``Originate`` action, and the life of the calls it starts.

Whether a call is answered and how long it lasts is decided per request by an
:class:`OriginatePolicy`, which tests script. An answered call's wait ends after its duration
(0: right after the answer events, None: only when hung up): the ``Wait`` its dialplan is in
returns and the dialplan goes on (the labs' extensions then run ``Hangup()``), or the
application it was originated to returns and the channel ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.ami.protocol import Message
from bridge.pbxsim.calls import Call, CallFlows
from bridge.pbxsim.channels import ANSWERED, FAILED, OriginateRequest
from bridge.pbxsim.config import Dialplan
from bridge.pbxsim.hangups import ACTION
from bridge.pbxsim.phone import PhoneCalls
from bridge.pbxsim.session import Reply

_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})


@dataclass(slots=True)
class OriginatePolicy:
    """How originated calls go; tests change these at will.

    ``duration``: seconds an answered call waits (0: its wait ends right after its answer
    events; None: until hung up; see the module docstring). ``failing_channels``: an Originate
    to one of these ``Channel`` values fails (Reason 0). ``result``: if set, gives the
    ``Reason`` of every Originate (4 answered, anything else failed). Otherwise a Local channel
    into an extension the dialplan
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
    """Starts originated calls, ends them when their time is up, and answers ``Originate``."""

    def __init__(self, phones: PhoneCalls, policy: OriginatePolicy) -> None:
        self._flows = CallFlows(phones)
        self._hangups = phones.hangups
        self.policy = policy
        self.calls: list[Call] = []
        self._tasks: set[asyncio.Task[None]] = set()
        phones.hangups.settled.append(self._prune)

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

    def start(
        self, request: OriginateRequest, reason: int, duration: float | None, *, report: bool
    ) -> Call:
        """Set a call up (events now) and schedule the end of its wait."""
        call = self._flows.create(request)
        if reason != ANSWERED:
            self._flows.fail(call, reason, report=report)
            return call
        self.calls.append(call)
        self._flows.answer(call, report=report)
        if duration == 0:
            self.end(call)
        elif duration is not None and not call.ended:
            task = asyncio.get_running_loop().create_task(self._end_later(call, duration))
            call.task = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return call

    async def _end_later(self, call: Call, duration: float) -> None:
        await asyncio.sleep(duration)
        call.task = None
        self.end(call)

    def end(self, call: Call) -> None:
        """The originated channel's wait is over now (its dialplan goes on, or it ends)."""
        if call.task is not None:
            call.task.cancel()
            call.task = None
        self._flows.end(call)

    def end_matching(self, match: str | None) -> int:
        """The ``Hangup`` action on the calls with a channel name, Uniqueid or Linkedid equal to
        ``match`` (None: all); returns how many."""
        calls = [
            call
            for call in self.calls
            if match is None
            or any(match in (ch.name, ch.uniqueid, ch.linkedid) for ch in call.channels)
        ]
        for call in calls:
            first = next((c for c in call.channels if self._hangups.live(c)), None)
            if first is not None:
                self._hangups.end(first, ACTION)
        return len(calls)

    def _prune(self) -> None:
        for call in list(self.calls):
            if not any(self._hangups.live(channel) for channel in call.channels):
                call.ended = True
                self.calls.remove(call)
                if call.task is not None:
                    call.task.cancel()
                    call.task = None

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
