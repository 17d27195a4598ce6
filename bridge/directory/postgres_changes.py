"""PostgreSQL's change detector: ``LISTEN bridge_directory`` wakes it, the counter the triggers
keep (migration 0001) is read once a second in case a notification was lost; and the few
autocommit connections the shared limits' statements use."""

from __future__ import annotations

import asyncio
import functools
import re
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bridge.directory.changes import SAFETY_POLL_SECONDS

QUICK_CONNECTIONS = 4  # connections for rate limit counts, per process


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
