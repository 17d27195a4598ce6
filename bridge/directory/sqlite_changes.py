"""SQLite's change detector: the database files are stat()ed at every poll, and the counter the
triggers keep (migration 0008) is read when they moved, or once a second."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.directory.changes import SAFETY_POLL_SECONDS


class SqliteChangeDetector:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        database = engine.url.database or ""
        self._paths = [database, f"{database}-wal"]
        self._connection: AsyncConnection | None = None
        self._version: object = None
        self._stat: tuple[object, ...] = ()
        self._last_query = 0.0
        self.queries = 0
        self.reopen_needed = False
        self._lock = asyncio.Lock()

    async def open(self) -> object:
        self.reopen_needed = False
        self._connection = await self._engine.connect()
        # Its commits are the bridge's own rows (the audit trail, shared limits), one on the
        # path of each action: in WAL mode NORMAL syncs at checkpoints, not at every commit
        # (a power cut may lose the last of them; the database stays whole).
        await self._connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        self._stat = self._files()
        self._version = await self._counter()
        return self._version

    async def confirm(self) -> bool:
        # A commit in the same clock tick as the stat() before it, rewriting the WAL from its
        # start (same size), leaves the files' stat unchanged: ask the database itself.
        self._stat = self._files()  # before the query: a later commit moves it again
        return await self._counter_moved()

    async def write(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        # On the watcher's own connection: one writer at a time in this process.
        async with self._lock:
            assert self._connection is not None
            await self._connection.execute(statement, rows)
            await self._connection.commit()

    async def execute(
        self, statement: Any, params: dict[str, Any], *, durable: bool = True
    ) -> list[Any]:
        # the same connection, for the same reason; one short transaction (one writer at a time)
        async with self._lock:
            assert self._connection is not None
            try:
                result = await self._connection.execute(statement, params)
                rows = list(result.all()) if result.returns_rows else []
                await self._connection.commit()
            except BaseException:
                await self._connection.rollback()
                raise
            return rows

    async def execute_sql(self, sql: str, params: dict[str, Any]) -> list[Any]:
        # aiosqlite itself: one trip to its thread for the statement and its rows, one for the
        # commit (SQLAlchemy's adapter makes four or five); sqlite3 takes :name parameters
        async with self._lock:
            assert self._connection is not None
            raw: Any = (await self._connection.get_raw_connection()).driver_connection
            try:
                rows = list(await raw.execute_fetchall(sql, params))
                await raw.commit()
            except BaseException:
                await raw.rollback()
                raise
            return rows

    async def changed(self) -> bool:
        stat = self._files()
        due = time.monotonic() - self._last_query >= SAFETY_POLL_SECONDS
        if stat == self._stat and not due:
            return False
        if _inode(stat) != _inode(self._stat):
            self.reopen_needed = True
            return True
        self._stat = stat
        return await self._counter_moved()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    def _files(self) -> tuple[object, ...]:
        result: list[object] = []
        for path in self._paths:
            try:
                st = os.stat(path)
            except OSError:
                result.append(None)
            else:
                result.append((st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(result)

    async def _counter_moved(self) -> bool:
        version = await self._counter()
        moved, self._version = version != self._version, version
        return moved

    async def _counter(self) -> object:
        async with self._lock:
            assert self._connection is not None
            self.queries += 1
            self._last_query = time.monotonic()
            result = await self._connection.exec_driver_sql(
                "SELECT version FROM bridge_directory_version WHERE id = 1"
            )
            version = result.scalar()
            await self._connection.rollback()
            return version


def _inode(stat: tuple[object, ...]) -> object:
    main = stat[0] if stat else None
    return main[0] if isinstance(main, tuple) else None
