"""DirectoryService: keeps the current snapshot and swaps in a new one when the database changes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.directory.build import build_snapshot
from bridge.directory.changes import ChangeDetector
from bridge.directory.load import load_rows
from bridge.directory.postgres_changes import PostgresChangeDetector
from bridge.directory.snapshot import EMPTY_SNAPSHOT, Snapshot
from bridge.directory.sqlite_changes import SqliteChangeDetector
from bridge.timeutil import utcnow

log = logging.getLogger(__name__)

SnapshotListener = Callable[[Snapshot, Snapshot], None]
CONFIRMATIONS = 3
RETRY_SECONDS = 0.5  # while the database is unreachable: one connection attempt each time


def detector_for(engine: AsyncEngine) -> ChangeDetector:
    if engine.dialect.name == "postgresql":
        return PostgresChangeDetector(engine)
    return SqliteChangeDetector(engine)


class DirectoryService:
    """The current :class:`Snapshot`. The read path only ever reads ``current``; never awaits."""

    def __init__(self, engine: AsyncEngine, poll_interval: float) -> None:
        self._engine = engine
        self._poll_interval = poll_interval
        self._detector: ChangeDetector = detector_for(engine)
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[SnapshotListener] = []
        self._reloaded = asyncio.Condition()
        self.current: Snapshot = EMPTY_SNAPSHOT
        self.database_ok = False
        self.reloads = 0

    @property
    def detector_queries(self) -> int:
        return self._detector.queries

    def subscribe(self, listener: SnapshotListener) -> None:
        """Call ``listener(old, new)`` after every swap (e.g. to follow core servers)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: SnapshotListener) -> None:
        self._listeners.remove(listener)

    async def start(self) -> None:
        await self._detector.open()
        await self.reload()
        self._task = asyncio.create_task(self._watch(), name="directory-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._detector.close()

    async def reload(self) -> Snapshot:
        rows = await load_rows(self._engine)
        old = self.current
        try:
            new = build_snapshot(rows, utcnow(), version=old.version + 1)
        except Exception:
            log.exception("the directory could not be built; keeping the last snapshot")
            self.database_ok = True
            return old
        self.current = new
        self.database_ok = True
        self.reloads += 1
        for listener in self._listeners:
            try:
                listener(old, new)
            except Exception:
                log.exception("directory listener failed")
        async with self._reloaded:
            self._reloaded.notify_all()
        return new

    async def write_aside(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        """Write rows of a non-directory table (the audit trail) without it reading as a
        directory change (which would rebuild the snapshot for nothing)."""
        await self._detector.write(statement, rows)

    async def execute_aside(
        self, statement: Any, params: dict[str, Any], *, durable: bool = True
    ) -> list[Any]:
        """One statement on a non-directory table (shared limits, idempotency keys), committed
        at once, without it reading as a directory change; its rows (RETURNING), if any.
        ``durable=False``: the commit need not wait for the disk."""
        return await self._detector.execute(statement, params, durable=durable)

    async def execute_quickly(self, statement: Any, params: dict[str, Any]) -> list[Any]:
        """``execute_aside`` without waiting for the disk (rate limit counts)."""
        return await self._detector.execute(statement, params, durable=False)

    async def execute_sql_quickly(self, sql: str, params: dict[str, Any]) -> list[Any]:
        """Hand-written SQL (``:name`` parameters) on the driver's own connection, committed
        without waiting for the disk: the one statement on the path of every action."""
        return await self._detector.execute_sql(sql, params)

    async def wait_for_version(self, version: int) -> Snapshot:
        """Wait until a snapshot at least as new as ``version`` is current (tests, tooling)."""
        async with self._reloaded:
            await self._reloaded.wait_for(lambda: self.current.version >= version)
        return self.current

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval if self.database_ok else RETRY_SECONDS)
            try:
                if not self.database_ok:
                    await self._reopen()
                    await self.reload()
                    log.info("directory database reachable again")
                    continue
                changed = await self._detector.changed()
                if self._detector.reopen_needed:
                    log.warning("the database was replaced; reopening its connections")
                    await self._reopen()
                if changed or self.current.expired(utcnow()):
                    await self.reload()
                    for _ in range(CONFIRMATIONS):  # commits that landed during the reload
                        if not await self._detector.confirm():
                            break
                        await self.reload()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.database_ok:
                    log.warning(
                        "directory database unreachable, keeping the last snapshot: %s",
                        type(exc).__name__,
                    )
                self.database_ok = False

    async def _reopen(self) -> None:
        """Fresh connections for the detector and the pool (raises while the database is down)."""
        with contextlib.suppress(Exception):
            await self._detector.close()
        await self._engine.dispose()
        await self._detector.open()
