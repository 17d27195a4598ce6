"""EventHub: live-state changes as JSON events, fanned out to WebSocket subscribers.

Every event is a JSON object with ``type``, ``time`` (UTC, ISO 8601), ``coreServerId`` and the
ids involved. It is serialised once, then offered to each subscriber that may view its subject
(the account's rights, and licensed extensions only) and whose filters it passes. Each
subscriber has a bounded queue: one that falls behind is dropped (closed with
:data:`CLOSE_SLOW`) rather than stall the others.

Types: ``coreServer.amiStatus``, ``coreServer.synced`` (refetch after it: while a link is down
nothing live is known), ``extension.state``, ``extension.dnd``, ``callSegment.start`` /
``callSegment.change`` / ``callSegment.end``, ``agent.state``, ``agent.removed``,
``queue.callerJoin``, ``queue.callerLeave``; what a change
of the live state becomes (and when it becomes nothing) is :mod:`bridge.live_events`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.directory import AccountEntry
from bridge.directory.service import DirectoryService
from bridge.directory.snapshot import Snapshot
from bridge.event_bodies import Visible
from bridge.limits import TokenBuckets
from bridge.live import Change, LiveState, ServerLive
from bridge.live_events import LiveEvents

log = logging.getLogger(__name__)

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
CLOSE_GOING_AWAY = 1001
CLOSE_SLOW = 4008  # the subscriber could not keep up; reconnect and refetch
CLOSE_UNAUTHORIZED = 4001  # its account was disabled, removed or its password changed
FILTERABLE = ("type", "coreServerId", "extensionId", "extensionNumber", "agentId", "queueId")


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
        self._live_events = LiveEvents(self.publish, lambda: directory.current)
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
            self._live_events.forget()
            return
        try:
            self._live_events.on_change(live, change)
        except Exception:
            log.exception("event for %s could not be published", change.kind)
