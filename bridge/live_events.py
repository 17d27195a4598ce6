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
from collections.abc import Callable, Iterator
from typing import Any

from bridge import access
from bridge.directory import AccountEntry, AgentEntry, ExtensionEntry, QueueEntry
from bridge.directory.snapshot import CoreServerIndex, Snapshot
from bridge.live import Change, ServerLive
from bridge.live.agents import agent_live, member_agent
from bridge.live.channels import ChannelInfo
from bridge.live.queue_callers import queue_live, waiting_call_json
from bridge.live.segments import is_hidden_half, segment, surviving_half
from bridge.live.server import WaitingCall
from bridge.originates import OriginateResult
from bridge.timeutil import iso_utc

Visible = Callable[[AccountEntry], bool]
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
        for event, visible, subject in _events(index, live, change, snapshot):
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
        for event, visible, subject in _segment_events(index, live, channel, phase, snapshot):
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
        self._say(live.core_server_id, event, _queue_visible(queue), None)

    def _start(self, live: ServerLive, channel: ChannelInfo) -> None:
        snapshot = self._snapshot()
        index = snapshot.core_server(live.core_server_id)
        if index is None:
            return
        for event, visible, subject in _segment_events(index, live, channel, "start", snapshot):
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


Said = tuple[dict[str, Any], Visible, object]  # the event (no time yet), visibility, subject


def _events(
    index: CoreServerIndex, live: ServerLive, change: Change, snapshot: Snapshot
) -> Iterator[Said]:
    server = index.entry

    def server_visible(account: AccountEntry) -> bool:
        return access.can_view_core_server(account, server, snapshot)

    base: dict[str, Any] = {"coreServerId": server.id}
    kind = change.kind
    event: dict[str, Any]
    if kind == "amiStatus":
        event = {
            "type": "coreServer.amiStatus",
            **base,
            "amiStatus": live.ami_status,
            "amiStatusReason": live.ami_status_reason,
        }
        yield event, server_visible, None
    elif kind == "synced":
        yield {"type": "coreServer.synced", **base}, server_visible, None
    elif kind in ("device", "hint", "dnd"):
        for extension in _extensions_for(index, kind, str(change.key)):
            ids = {**base, "extensionId": extension.id, "extensionNumber": extension.number}
            if kind == "dnd":
                event = {"type": "extension.dnd", **ids, "dnd": live.dnd_of(extension.number)}
            else:
                state = live.device_state_of(extension.device, extension.number)
                event = {"type": "extension.state", **ids, "deviceState": state}
            yield event, _extension_visible(extension), (event["type"], extension.id)
    elif kind == "member":
        assert isinstance(change.key, tuple)
        queue_identifier, interface = (str(part) for part in change.key)
        removed = change.phase == "end"
        member = change.member or live.members.get((queue_identifier, interface))
        for agent in _agents_for(index, queue_identifier, interface, member):
            event = {
                "type": "agent.removed" if removed else "agent.state",
                **base,
                "agentId": agent.id,
                "queueId": agent.queue_id,
                "extensionId": agent.extension_id,
                **agent_live(live, queue_identifier, interface),
            }
            subject = ("agent", agent.id)
            yield event, _agent_visible(agent), (None if removed else subject)


def _segment_events(
    index: CoreServerIndex, live: ServerLive, channel: ChannelInfo, phase: str, snapshot: Snapshot
) -> Iterator[Said]:
    for extension in index.extensions_by_device.get(channel.device, ()):
        if extension.licensed:
            body = segment(channel, index, live, extension)
            event = {
                "type": f"callSegment.{phase}",
                "coreServerId": index.entry.id,
                "extensionId": extension.id,
                "extensionNumber": extension.number,
                "segment": body,
            }
            yield event, _extension_visible(extension), ("segment", extension.id, body["id"])


def originate_result(result: OriginateResult) -> tuple[dict[str, Any], Visible]:
    """``originate.result``: what became of a call the bridge originated, for whoever may
    view its extension."""
    extension = result.pending.extension
    event = {
        "type": "originate.result",
        "time": iso_utc(time.time()),
        "coreServerId": result.pending.server.id,
        "actionId": result.action_id,
        "extensionId": extension.id,
        "extensionNumber": extension.number,
        "destination": result.pending.destination,
        "outcome": result.outcome,
        "reason": result.reason,
    }
    return event, _extension_visible(extension)


def _extensions_for(index: CoreServerIndex, kind: str, key: str) -> list[ExtensionEntry]:
    if kind == "device":
        found = list(index.extensions_by_device.get(key, ()))
    else:
        extension = index.extensions_by_number.get(key)
        found = [extension] if extension is not None else []
    return [e for e in found if e.licensed]


def _agents_for(
    index: CoreServerIndex, queue_identifier: str, interface: str, member: Any
) -> list[AgentEntry]:
    queue = index.queues_by_identifier.get(queue_identifier)
    if queue is None or not queue.enabled:
        return []
    static = [
        a for a in index.agents_by_queue.get(queue.id.lower(), ()) if a.interface == interface
    ]
    dynamic = member_agent(
        index,
        queue_identifier,
        interface,
        member.state_interface if member else "",
        member.name if member else "",
        dynamic=bool(member.dynamic) if member else True,
    )
    agents = static or ([dynamic] if dynamic is not None else [])
    return [
        a
        for a in agents
        if (e := index.extensions_by_id.get((a.extension_id or "").lower())) and e.licensed
    ]


def _extension_visible(extension: ExtensionEntry) -> Visible:
    return lambda account: access.can_view_extension(account, extension)


def _queue_visible(queue: QueueEntry) -> Visible:
    return lambda account: access.can_view_queue(account, queue)


def _agent_visible(agent: AgentEntry) -> Visible:
    return lambda account: access.can_view_agent(account, agent)
