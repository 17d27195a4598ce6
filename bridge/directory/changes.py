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

import asyncio
import functools
import os
import re
import time
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

SAFETY_POLL_SECONDS = 1.0
QUICK_CONNECTIONS = 4  # PostgreSQL connections for rate limit counts, per process


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


def detector_for(engine: AsyncEngine) -> ChangeDetector:
    if engine.dialect.name == "postgresql":
        return PostgresChangeDetector(engine)
    return SqliteChangeDetector(engine)


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
        version = await self._counter()
        moved, self._version = version != self._version, version
        return moved

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
        version = await self._counter()
        moved, self._version = version != self._version, version
        return moved

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


class PostgresChangeDetector:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._notified = asyncio.Event()
        self._quick: AsyncEngine | None = None
        self._version: object = None
        self._last_query = 0.0
        self.queries = 0
        self.reopen_needed = False

    async def open(self) -> object:
        self._connection = await self._engine.connect()
        raw = await self._connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.add_listener("bridge_directory", self._on_notify)
        self._version = await self._counter()
        return self._version

    async def changed(self) -> bool:
        if self._notified.is_set():
            self._notified.clear()
            await self._counter()
            return True
        if time.monotonic() - self._last_query < SAFETY_POLL_SECONDS:
            return False
        before = self._version
        return await self._counter() != before

    async def close(self) -> None:
        if self._quick is not None:
            await self._quick.dispose()
            self._quick = None
        if self._connection is not None:
            await self._connection.invalidate()  # LISTEN state must not go back to the pool
            await self._connection.close()
            self._connection = None

    async def confirm(self) -> bool:
        before = self._version
        return await self._counter() != before

    async def write(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        # Triggers watch the directory tables only: any connection will do.
        async with self._engine.begin() as connection:
            await connection.execute(statement, rows)

    async def execute(
        self, statement: Any, params: dict[str, Any], *, durable: bool = True
    ) -> list[Any]:
        # one statement is its own transaction: autocommit spares BEGIN and COMMIT round trips
        if durable:
            async with self._engine.connect() as connection:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                result = await connection.execute(statement, params)
                return list(result.all()) if result.returns_rows else []
        async with self._quick_engine().connect() as connection:
            result = await connection.execute(statement, params)
            return list(result.all()) if result.returns_rows else []

    async def execute_sql(self, sql: str, params: dict[str, Any]) -> list[Any]:
        # asyncpg itself, which prepares the statement once per connection and keeps it
        positional, names = _positional(sql)
        async with self._quick_engine().connect() as connection:
            raw: Any = (await connection.get_raw_connection()).driver_connection
            return list(await raw.fetch(positional, *(params[name] for name in names)))

    def _quick_engine(self) -> AsyncEngine:
        """Connections whose commits do not wait for the WAL to reach the disk (an fsync
        costs more than the statement), in autocommit. A few, kept open: a burst of checks
        (a flood of logins) waits its turn for one rather than opening more, which would cost
        each of them, and whoever comes after, a new connection's time."""
        if self._quick is None:
            self._quick = create_async_engine(
                self._engine.url,
                isolation_level="AUTOCOMMIT",
                pool_size=QUICK_CONNECTIONS,
                max_overflow=0,
                pool_reset_on_return=None,  # autocommit: there is never anything to roll back
                connect_args={"server_settings": {"synchronous_commit": "off"}},
            )
        return self._quick

    def _on_notify(self, *_args: object) -> None:
        self._notified.set()

    async def _counter(self) -> object:
        assert self._connection is not None
        self.queries += 1
        self._last_query = time.monotonic()
        result = await self._connection.exec_driver_sql(
            "SELECT version FROM bridge_directory_version WHERE id = 1"
        )
        self._version = result.scalar()
        await self._connection.rollback()
        return self._version


_NAMED = re.compile(r"(?<!:):([A-Za-z_][A-Za-z0-9_]*)")


@functools.lru_cache(maxsize=64)
def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``:name`` parameters as PostgreSQL's ``$1``...: the SQL, and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED.sub(number, sql), tuple(names)
