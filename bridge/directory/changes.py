"""Cheap detection of commits made by admins (or anyone) to the directory tables.

Triggers on the directory's tables bump the one row of ``bridge_directory_version``: commits to
other tables (the audit trail, allowances, idempotency keys: one per action, from every process
on the database) move nothing. SQLite (migration 0008): the database files are stat()ed at every
poll (no query); the counter is read only when they moved, and once a second as a safety net.
PostgreSQL (migration 0001): the triggers also ``NOTIFY bridge_directory``, which wakes the
watcher at once; the counter is read once a second as a safety net (a notification can be lost
with its connection).
"""

from __future__ import annotations

from typing import Any, Protocol

SAFETY_POLL_SECONDS = 1.0


class ChangeDetector(Protocol):
    queries: int  # how many queries it sent; benchmarks show it
    # True when the database was replaced under the bridge's connections (a SQLite file moved
    # into place): they must all be reopened.
    reopen_needed: bool

    async def open(self) -> object:
        """Connect, and return the current version token."""

    async def changed(self) -> bool:
        """True when the directory may have changed since the last call (cheap)."""

    async def confirm(self) -> bool:
        """After a reload: True when another change came in meanwhile (one query)."""

    async def close(self) -> None: ...

    async def write(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        """Write rows that are not the directory's, without the write counting as a change."""

    async def execute(
        self, statement: Any, params: dict[str, Any], *, durable: bool = True
    ) -> list[Any]:
        """One statement on tables that are not the directory's, committed at once, without
        counting as a change; its rows (RETURNING), if any. ``durable=False``: the commit need
        not wait for the disk (a rate limit's count may lose its last moment in a crash)."""

    async def execute_sql(self, sql: str, params: dict[str, Any]) -> list[Any]:
        """Like ``execute(..., durable=False)``, for hand-written SQL (``:name`` parameters)
        run on the driver's own connection: nothing between it and the database, for the one
        statement on the path of every action (a rate limit's take)."""
