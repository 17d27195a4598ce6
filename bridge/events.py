"""EventHub: live-state changes as JSON events, fanned out to WebSocket subscribers.

Every event is a JSON object with ``type``, ``time`` (UTC, ISO 8601), ``coreServerId`` and the
ids involved. It is serialised once, then offered to each subscriber that may view its subject
(the account's rights, and licensed extensions only) and whose filters it passes. Each
subscriber has a bounded queue: one that falls behind is dropped (closed with
:data:`CLOSE_SLOW`) rather than stall the others.

Types: ``coreServer.amiStatus``, ``coreServer.synced`` (refetch after it: while a link is down
nothing live is known), ``extension.state``, ``extension.dnd``, ``callSegment.start`` /
``callSegment.change`` / ``callSegment.end``, ``agent.state``, ``agent.removed``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bridge import access
from bridge.directory import AccountEntry, AgentEntry, ExtensionEntry
from bridge.directory.service import DirectoryService
from bridge.directory.snapshot import CoreServerIndex, Snapshot
from bridge.limits import TokenBuckets
from bridge.live import Change, LiveState, ServerLive
from bridge.live.agents import member_agent
from bridge.live.segments import is_hidden_half, segment
from bridge.timeutil import iso_utc

log = logging.getLogger(__name__)

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
CLOSE_GOING_AWAY = 1001
CLOSE_SLOW = 4008  # the subscriber could not keep up; reconnect and refetch
CLOSE_UNAUTHORIZED = 4001  # its account was disabled, removed or its password changed
FILTERABLE = ("type", "coreServerId", "extensionId", "extensionNumber", "agentId", "queueId")

Visible = Callable[[AccountEntry], bool]


@dataclass(eq=False)
class Subscriber:
    account: AccountEntry
    on_drop: Callable[[int, str], None]
    queue_size: int = 1000
    queue: asyncio.Queue[str] = field(init=False)
    filters: dict[str, frozenset[str]] = field(default_factory=dict)
    dropped: bool = False
    # the account it counts against (the account entry itself is replaced as the row changes)
    account_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.queue_size)
        self.account_id = self.account.id

    def wants(self, event: dict[str, Any]) -> bool:
        return all(str(event.get(key)) in values for key, values in self.filters.items())


class EventHub:
    def __init__(
        self, directory: DirectoryService, live: LiveState, client_messages: TokenBuckets
    ) -> None:
        self._directory = directory
        self._subscribers: set[Subscriber] = set()
        self._per_account: Counter[str] = Counter()
        # what subscribers may send, per account (bridge.api.event_stream decides the rate)
        self.client_messages = client_messages
        self.published = 0
        live.subscribe(self._on_change)
        directory.subscribe(self._on_directory)

    def __len__(self) -> int:
        return len(self._subscribers)

    def streams_of(self, account_id: str) -> int:
        """How many subscribers the account has."""
        return self._per_account[account_id]

    def add(self, subscriber: Subscriber) -> None:
        if subscriber not in self._subscribers:
            self._subscribers.add(subscriber)
            self._per_account[subscriber.account_id] += 1

    def remove(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.discard(subscriber)
            self._forget(subscriber)

    def _forget(self, subscriber: Subscriber) -> None:
        account_id = subscriber.account_id
        self._per_account[account_id] -= 1
        if self._per_account[account_id] <= 0:
            del self._per_account[account_id]

    def publish(self, event: dict[str, Any], visible: Visible) -> None:
        """Offer one event to every subscriber that may see it and asked for it."""
        text: str | None = None
        self.published += 1
        for subscriber in tuple(self._subscribers):
            if subscriber.dropped or not visible(subscriber.account) or not subscriber.wants(event):
                continue
            if text is None:
                text = _encode(event)
            try:
                subscriber.queue.put_nowait(text)
            except asyncio.QueueFull:
                self._drop(subscriber, CLOSE_SLOW, "too slow: events were left unread")

    def close_all(self) -> None:
        """Shutting down: every stream is closed with 1001 (going away)."""
        for subscriber in tuple(self._subscribers):
            self._drop(subscriber, CLOSE_GOING_AWAY, "the server is shutting down")

    def _drop(self, subscriber: Subscriber, code: int, reason: str) -> None:
        subscriber.dropped = True
        if subscriber in self._subscribers:
            self._subscribers.discard(subscriber)
            self._forget(subscriber)
        log.warning("event stream of %s closed: %s", subscriber.account.username, reason)
        subscriber.on_drop(code, reason)

    def _on_directory(self, _old: Snapshot, new: Snapshot) -> None:
        for subscriber in tuple(self._subscribers):
            account = new.accounts_by_username.get(subscriber.account.username)
            if (
                account is None
                or not account.enabled
                or account.password_hash != subscriber.account.password_hash
            ):
                self._drop(subscriber, CLOSE_UNAUTHORIZED, "the account changed")
            else:
                subscriber.account = account

    def _on_change(self, live: ServerLive, change: Change) -> None:
        if not self._subscribers:
            return
        index = self._directory.current.core_server(live.core_server_id)
        if index is None:
            return
        try:
            for event, visible in _events(index, live, change, self._directory.current):
                self.publish(event, visible)
        except Exception:
            log.exception("event for %s could not be published", change.kind)


def _events(
    index: CoreServerIndex, live: ServerLive, change: Change, snapshot: Snapshot
) -> Iterator[tuple[dict[str, Any], Visible]]:
    server = index.entry

    def base() -> dict[str, Any]:  # made only for events that are sent
        return {"time": _now(), "coreServerId": server.id}

    def server_visible(account: AccountEntry) -> bool:
        return access.can_view_core_server(account, server, snapshot)

    kind = change.kind
    if kind == "amiStatus":
        yield (
            {"type": "coreServer.amiStatus", **base(), "amiStatus": live.ami_status},
            server_visible,
        )
    elif kind == "synced":
        yield {"type": "coreServer.synced", **base()}, server_visible
    elif kind in ("device", "hint", "dnd"):
        for extension in _extensions_for(index, kind, str(change.key)):
            event = {**base(), "extensionId": extension.id, "extensionNumber": extension.number}
            if kind == "dnd":
                event = {"type": "extension.dnd", **event, "dnd": live.dnd_of(extension.number)}
            else:
                state = live.device_state_of(extension.device, extension.number)
                event = {"type": "extension.state", **event, "deviceState": state}
            yield event, _extension_visible(extension)
    elif kind == "channel" and change.channel is not None:
        channel = change.channel
        if is_hidden_half(channel, live):
            return
        for extension in index.extensions_by_device.get(channel.device, ()):
            if extension.licensed:
                body = segment(channel, index, live)
                event = {
                    "type": f"callSegment.{change.phase}",
                    **base(),
                    "extensionId": extension.id,
                    "extensionNumber": extension.number,
                    "segment": body,
                }
                yield event, _extension_visible(extension)
    elif kind == "member":
        assert isinstance(change.key, tuple)
        queue_identifier, interface = (str(part) for part in change.key)
        for agent in _agents_for(index, live, queue_identifier, interface):
            paused, state = live.member_of(queue_identifier, interface)
            event = {
                "type": "agent.removed" if change.phase == "end" else "agent.state",
                **base(),
                "agentId": agent.id,
                "queueId": agent.queue_id,
                "extensionId": agent.extension_id,
                "paused": paused,
                "state": state,
            }
            yield event, _agent_visible(agent)


def _extensions_for(index: CoreServerIndex, kind: str, key: str) -> list[ExtensionEntry]:
    if kind == "device":
        found = list(index.extensions_by_device.get(key, ()))
    else:
        extension = index.extensions_by_number.get(key)
        found = [extension] if extension is not None else []
    return [e for e in found if e.licensed]


def _agents_for(
    index: CoreServerIndex, live: ServerLive, queue_identifier: str, interface: str
) -> list[AgentEntry]:
    queue = index.queues_by_identifier.get(queue_identifier)
    if queue is None or not queue.enabled:
        return []
    static = [
        a for a in index.agents_by_queue.get(queue.id.lower(), ()) if a.interface == interface
    ]
    member = live.members.get((queue_identifier, interface))
    dynamic = member_agent(
        index,
        queue_identifier,
        interface,
        member.state_interface if member else "",
        member.name if member else "",
    )
    agents = static or ([dynamic] if dynamic is not None else [])
    licensed = [
        a
        for a in agents
        if (e := index.extensions_by_id.get((a.extension_id or "").lower())) and e.licensed
    ]
    return licensed


def _extension_visible(extension: ExtensionEntry) -> Visible:
    return lambda account: access.can_view_extension(account, extension)


def _agent_visible(agent: AgentEntry) -> Visible:
    return lambda account: access.can_view_agent(account, agent)


def _now() -> str:
    return iso_utc(time.time())
