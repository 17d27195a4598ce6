"""Token buckets in the database (``SharedAllowances``), on SQLite and PostgreSQL: the refill, all
or nothing, tokens given back, full buckets pruned, and this process's buckets while the
database does not answer."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.allowances import SharedAllowances
from bridge.db import create_engine
from bridge.limits import Bucket

LONG = 60.0


def executor(engine: AsyncEngine) -> Any:
    async def execute(statement: Any, params: dict[str, Any]) -> list[Any]:
        async with engine.begin() as connection:
            result = await connection.execute(statement, params)
            return list(result.all()) if result.returns_rows else []

    return execute


def on(engine: AsyncEngine, **kwargs: Any) -> SharedAllowances:
    """Counting in ``engine``'s database (the take's SQL through SQLAlchemy: the same text)."""
    execute = executor(engine)

    async def execute_sql(sql: str, params: dict[str, Any]) -> list[Any]:
        return await execute(sa.text(sql), params)  # type: ignore[no-any-return]

    return SharedAllowances(execute, execute_sql, engine.dialect.name, **kwargs)


def shared_on(engine: AsyncEngine, now: list[float]) -> SharedAllowances:
    """Counting in ``engine``'s database at the time ``now[0]``; never giving up on it (the
    giving up has a test of its own)."""
    return on(engine, clock=lambda: now[0], timeout=LONG)


async def rows(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        result = await connection.execute(sa.text("SELECT key FROM allowances ORDER BY key"))
        return [row[0] for row in result]


async def test_a_bucket_refills_at_its_rate(admin_engine: AsyncEngine) -> None:
    now = [1000.0]
    shared = shared_on(admin_engine, now)
    a = Bucket("a", 0.5, 2)
    assert [await shared.take([a]), await shared.take([a])] == [{}, {}]
    assert await shared.take([a]) == {"a": pytest.approx(2.0)}  # a token every 2 s
    assert await shared.take([Bucket("b", 0.5, 2)]) == {}  # per key
    now[0] += 1.0
    assert await shared.take([a]) == {"a": pytest.approx(1.0)}
    now[0] += 1.0
    assert await shared.take([a]) == {}
    now[0] += 100.0
    assert [await shared.take([a]), await shared.take([a])] == [{}, {}]  # never over the burst
    now[0] -= 50.0  # a clock that went back refills nothing, and breaks nothing
    assert await shared.take([a]) == {"a": pytest.approx(2.0)}


async def test_two_buckets_give_a_token_each_or_none(admin_engine: AsyncEngine) -> None:
    now = [1000.0]
    shared = shared_on(admin_engine, now)
    actions, calls = Bucket("action:x", 1.0, 3), Bucket("originate:x", 1 / 60, 1)
    assert await shared.take([actions, calls]) == {}
    assert set(await shared.take([actions, calls])) == {"originate:x"}
    # the refused take used no action: two of three are left
    assert [await shared.take([actions]) for _ in range(3)][:2] == [{}, {}]
    await shared.give_back([actions])
    assert await shared.take([actions]) == {}


async def test_full_buckets_are_pruned(admin_engine: AsyncEngine) -> None:
    now = [1000.0]
    shared = shared_on(admin_engine, now)
    await shared.take([Bucket("fast", 1.0, 2), Bucket("slow", 0.01, 2)])
    now[0] += 2.0
    await shared.prune()
    assert await rows(admin_engine) == ["slow"]


async def test_without_the_database_the_process_counts(tmp_path: Path) -> None:
    broken = tmp_path / "bridge.db"
    broken.write_bytes(b"not a database, whatever it was " * 128)
    engine = create_engine(f"sqlite+aiosqlite:///{broken}")
    try:
        shared = on(engine, timeout=LONG)
        bucket = Bucket("a", 1 / 60, 2)
        outcomes = [await shared.take([bucket, Bucket("b", 1.0, 5)]) for _ in range(3)]
        assert outcomes[:2] == [{}, {}]
        assert list(outcomes[2]) == ["a"]
        await shared.give_back([bucket])
        assert await shared.take([bucket]) == {}
    finally:
        await engine.dispose()


async def test_a_write_lock_held_elsewhere_is_not_waited_for(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """An admin's SQLite shell holding the write lock: the process counts on its own at once,
    not after the busy timeout."""
    path = tmp_path / "bridge.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as admin:
            await admin.exec_driver_sql("BEGIN IMMEDIATE")
            shared = on(engine, timeout=0.2)
            bucket = Bucket("a", 1 / 60, 1)
            started = time.monotonic()
            outcomes = [await shared.take([bucket]) for _ in range(2)]
            assert time.monotonic() - started < 2.0  # the busy timeout is 5 s
            assert outcomes[0] == {} and list(outcomes[1]) == ["a"]
            await admin.rollback()
        await shared.close()  # the takes given up on are done now
        assert await rows(engine) == ["a"]  # they counted, late
    finally:
        await engine.dispose()
