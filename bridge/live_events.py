"""Live changes as the event stream's events (EventHub publishes them).

An event goes out only when something a client can see changed: an ``extension.state``,
``extension.dnd``, ``agent.state`` or ``callSegment.change`` that would repeat the previous one of
its subject is left out. A call segment's ``callSegment.start`` waits for the end of the burst
of events it arrived in (everything read from the AMI socket at once), so that it is already
right about direction and the other party when Asterisk said so in the same burst (a dialled
leg's ``Newchannel`` comes before its ``DialBegin``); a segment that ends within its burst still
gets its start, then its end. A Local channel's two halves are one segment (see
bridge.live.segments): no ``callSegment.end`` for a segment that was never started. A caller
that leaves a queue gets its ``queue.callerLeave`` at the end of its burst too, with the
``reason`` Asterisk gave around the leave (answered, abandoned, timeout...; ``left`` when it
said nothing within :data:`LEAVE_GRACE` seconds).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bridge.directory.snapshot import CoreServerIndex, Snapshot
from bridge.event_bodies import Visible, change_events, queue_visible, segment_events
from bridge.live import Change, ServerLive
from bridge.live.channels import ChannelInfo
from bridge.live.queue_callers import queue_live, waiting_call_json
from bridge.live.segments import is_hidden_half, surviving_half
from bridge.live.server import WaitingCall
from bridge.timeutil import iso_utc

# how long a ``queue.callerLeave`` waits, after its burst, for Asterisk to say why it left
LEAVE_GRACE = 0.5
Publish = Callable[[dict[str, Any], Visible], None]


class LiveEvents:
    """Turns the live changes of every core server into stream events for ``publish``."""

    def __init__(self, publish: Publish, snapshot: Callable[[], Snapshot]) -> None:
        self._publish = publish
        self._snapshot = snapshot
        # what each subject's last event said (its body without the time), per core server
        self._last: dict[str, dict[object, object]] = {}
        # call segments whose start waits for the end of the burst: segment id -> (live, channel)
        self._starting: dict[str, tuple[ServerLive, ChannelInfo]] = {}
        self._flush: asyncio.Handle | None = None
        # callers that left in this burst: their ``queue.callerLeave`` waits for its reason
        self._leaving: list[tuple[ServerLive, WaitingCall]] = []

    def forget(self) -> None:
        """Nobody listens: what was said before no longer counts as said."""
        self._last.clear()
        self._starting.clear()
        self._leaving.clear()

    def on_change(self, live: ServerLive, change: Change) -> None:
        snapshot = self._snapshot()
        index = snapshot.core_server(live.core_server_id)
        if index is None:
            return
        if change.kind == "channel" and change.channel is not None:
            self._on_channel(index, live, change, snapshot)
            return
        if change.kind == "caller" and change.caller is not None:
            self._on_caller(live, change.caller, change.phase)
            return
        if change.kind in ("amiStatus", "synced"):
            self._last.pop(live.core_server_id, None)  # everything is said again after it
        for event, visible, subject in change_events(index, live, change, snapshot):
            self._say(live.core_server_id, event, visible, subject)

    def _on_channel(
        self, index: CoreServerIndex, live: ServerLive, change: Change, snapshot: Snapshot
    ) -> None:
        channel, phase = change.channel, change.phase
        assert channel is not None
        if is_hidden_half(channel, live):
            return  # a Local ;2 half while its ;1 half stands for both
        if phase == "end":
            successor = surviving_half(channel, live)
            if successor is not None:  # the ;1 half went first: the ;2 half goes on with it
                channel, phase = successor, "change"
        key = channel.segment_id or channel.uniqueid
        if phase == "start":
            self._starting[key] = (live, channel)
            if self._flush is None:
                self._flush = asyncio.get_running_loop().call_soon(self._start_waiting)
            return
        if key in self._starting:
            if phase == "change":
                self._starting[key] = (live, channel)  # its start will say it (the ;2 half's)
                return
            self._start(*self._starting.pop(key))
        for event, visible, subject in segment_events(index, live, channel, phase, snapshot):
            self._say(live.core_server_id, event, visible, subject, phase)

    def _on_caller(self, live: ServerLive, call: WaitingCall, phase: str) -> None:
        if phase == "start":
            self._caller_event(live, call, "queue.callerJoin")
            return
        # Why it left is said around the leave (AgentConnect follows it in the same burst):
        # wait for the burst's end, and a moment more when it has not been said by then.
        self._leaving.append((live, call))
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_soon(self._start_waiting)

    def _start_waiting(self) -> None:
        self._flush = None
        starting, self._starting = self._starting, {}
        for live, channel in starting.values():
            self._start(live, channel)
        leaving, self._leaving = self._leaving, []
        loop = asyncio.get_running_loop()
        for live, call in leaving:
            if call.outcome:
                self._caller_event(live, call, "queue.callerLeave")
            else:
                loop.call_later(LEAVE_GRACE, self._caller_event, live, call, "queue.callerLeave")

    def _caller_event(self, live: ServerLive, call: WaitingCall, kind: str) -> None:
        snapshot = self._snapshot()
        index = snapshot.core_server(live.core_server_id)
        queue = index.queues_by_identifier.get(call.queue) if index is not None else None
        if index is None or queue is None or not queue.enabled:
            return
        event: dict[str, Any] = {
            "type": kind,
            "coreServerId": index.entry.id,
            "queueId": queue.id,
            "call": waiting_call_json(call, index),
            "callsWaiting": queue_live(live, call.queue)["callsWaiting"],
        }
        if kind == "queue.callerLeave":
            event["reason"] = call.outcome or "left"
        self._say(live.core_server_id, event, queue_visible(queue), None)

    def _start(self, live: ServerLive, channel: ChannelInfo) -> None:
        snapshot = self._snapshot()
        index = snapshot.core_server(live.core_server_id)
        if index is None:
            return
        for event, visible, subject in segment_events(index, live, channel, "start", snapshot):
            self._say(live.core_server_id, event, visible, subject, "start")

    def _say(
        self,
        core_server_id: str,
        event: dict[str, Any],
        visible: Visible,
        subject: object,
        phase: str = "change",
    ) -> None:
        said = self._last.setdefault(core_server_id, {})
        if phase == "end":
            said.pop(subject, None)
        elif subject is not None:
            body = {key: value for key, value in event.items() if key not in ("time", "type")}
            if phase == "change" and said.get(subject) == body:
                return  # it would repeat what this subject's last event said
            said[subject] = body
        self._publish({**event, "time": iso_utc(time.time())}, visible)
