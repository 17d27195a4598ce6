"""The snapshot: every directory object with the indexes the URL paths need."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bridge.directory.entries import (
    AccountEntry,
    AgentEntry,
    CoreServerEntry,
    ExtensionEntry,
    QueueEntry,
    UserEntry,
)
from bridge.memo import Memo


@dataclass(frozen=True, slots=True)
class CoreServerIndex:
    """One core server and what hangs under it, ordered for lists and indexed for paths."""

    entry: CoreServerEntry
    users: tuple[UserEntry, ...]
    users_by_id: dict[str, UserEntry]
    users_by_name: dict[str, UserEntry]
    extensions: tuple[ExtensionEntry, ...]
    extensions_by_id: dict[str, ExtensionEntry]
    extensions_by_number: dict[str, ExtensionEntry]
    extensions_by_user: dict[str, tuple[ExtensionEntry, ...]]
    extensions_by_device: dict[str, tuple[ExtensionEntry, ...]]
    queues: tuple[QueueEntry, ...]
    queues_by_id: dict[str, QueueEntry]
    queues_by_identifier: dict[str, QueueEntry]
    agents_by_queue: dict[str, tuple[AgentEntry, ...]]
    agents_by_id: dict[str, AgentEntry]
    agents_by_extension: dict[str, tuple[AgentEntry, ...]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable view of the directory; replaced as a whole when the database changes."""

    version: int
    built_at: dt.datetime
    # When a license expires, licensing changes with no database write: rebuild then.
    valid_until: dt.datetime | None
    core_servers: tuple[CoreServerIndex, ...]
    core_servers_by_id: dict[str, CoreServerIndex]
    core_servers_by_slug: dict[str, CoreServerIndex]
    accounts_by_username: dict[str, AccountEntry]
    # Answers serialised once per snapshot (see bridge.api.render); dropped with the snapshot.
    memo: Memo = field(default_factory=Memo, compare=False)

    def core_server(self, core_server_id: str) -> CoreServerIndex | None:
        return self.core_servers_by_id.get(core_server_id.lower())

    def extension(self, core_server_id: str, extension_id: str) -> ExtensionEntry | None:
        index = self.core_server(core_server_id)
        return None if index is None else index.extensions_by_id.get(extension_id.lower())

    def expired(self, now: dt.datetime) -> bool:
        return self.valid_until is not None and now >= self.valid_until


EMPTY_SNAPSHOT = Snapshot(
    version=0,
    built_at=dt.datetime.min.replace(tzinfo=dt.UTC),
    valid_until=None,
    core_servers=(),
    core_servers_by_id={},
    core_servers_by_slug={},
    accounts_by_username={},
)
