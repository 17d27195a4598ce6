"""Token buckets in the database, so that every process and host on one database spends one
allowance (the actions of an account, failed logins of an address).

A take is one statement: an UPSERT of every bucket asked for that takes a token where there is
one and returns the keys it took from. Only a refusal costs more (the waits are read, and the
tokens taken from the other buckets go back), so that a check is all or nothing. Rows whose
bucket would be full again are pruned: a missing row is a full bucket.

When the database does not answer within a second, the buckets of this process
(``TokenBuckets``) stand in, so that limits still hold, per process, and nothing waits for the
database to come back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa

from bridge import models
from bridge.limits import Bucket, TokenBuckets

log = logging.getLogger(__name__)

T = TypeVar("T")
Execute = Callable[[Any, dict[str, Any]], Awaitable[list[Any]]]
ExecuteSql = Callable[[str, dict[str, Any]], Awaitable[list[Any]]]
WARN_EVERY = 60.0  # seconds between warnings that the database does not answer
# How long an action or a login waits for the database (an admin's shell holding SQLite's write
# lock, say) before this process counts on its own.
WAIT_SECONDS = 1.0


_table = cast(sa.Table, models.Allowance.__table__)
# The take is hand-written SQL, one text per dialect and number of buckets, built of constants
# only (every value is a parameter), run on the driver's own connection (``execute_sql``): on
# the path of every action, SQLAlchemy's compiling and adapting cost more than the database.
FUNCTIONS = {"postgresql": ("LEAST", "GREATEST"), "sqlite": ("min", "max")}


def _take_sql(dialect: str, count: int) -> str:
    least, greatest = FUNCTIONS.get(dialect, FUNCTIONS["sqlite"])
    refilled = (
        f"{least}(excluded.burst, allowances.tokens"
        f" + {greatest}(excluded.updated - allowances.updated, 0) * excluded.rate)"
    )
    rows = ", ".join(f"(:key{i}, :tokens{i}, :now, :rate{i}, :burst{i})" for i in range(count))
    return (
        f"INSERT INTO allowances (key, tokens, updated, rate, burst) VALUES {rows} "  # noqa: S608
        f"ON CONFLICT (key) DO UPDATE SET tokens = {refilled} - 1.0, "
        f"updated = {greatest}(allowances.updated, excluded.updated), "
        "rate = excluded.rate, burst = excluded.burst "
        f"WHERE {refilled} >= 1.0 RETURNING key"
    )


def _least(a: Any, b: Any) -> Any:
    return sa.case((a < b, a), else_=b)


def _greatest(a: Any, b: Any) -> Any:
    return sa.case((a > b, a), else_=b)


class SharedAllowances:
    """Token buckets in the ``allowances`` table, through ``execute`` (SQLAlchemy statements)
    and ``execute_sql`` (the take), one committed statement each, on connections whose writes
    do not count as directory changes."""

    def __init__(
        self,
        execute: Execute,
        execute_sql: ExecuteSql,
        dialect: str,
        clock: Callable[[], float] = time.time,
        timeout: float = WAIT_SECONDS,
    ) -> None:
        self._execute = execute
        self._execute_sql = execute_sql
        self._timeout = timeout
        self._late: set[asyncio.Future[Any]] = set()
        self._dialect = dialect
        self._statements: dict[int, str] = {}
        self._clock = clock
        self._local: dict[tuple[float, int], TokenBuckets] = {}
        self._warned = -WARN_EVERY

    async def take(self, buckets: Sequence[Bucket]) -> dict[str, float]:
        """A token from each bucket, or from none: ``{}`` when taken, else the seconds each
        bucket that had no token needs until it has one."""
        try:
            return await self._bounded(self._take(buckets))
        except Exception as exc:  # the database is down or busy: this process's buckets
            self._warn(exc)
            return self._take_locally(buckets)

    async def give_back(self, buckets: Sequence[Bucket]) -> None:
        """Return the token a take took (what it paid for was not a failure after all)."""
        try:
            await self._bounded(self._give_back([b.key for b in buckets]))
        except Exception as exc:
            self._warn(exc)
            for bucket in buckets:
                self._local_buckets(bucket).give_back(bucket.key)

    async def close(self) -> None:
        """Wait for the statements that were given up on (they hold database connections)."""
        await asyncio.gather(*self._late, return_exceptions=True)

    async def _bounded(self, work: Coroutine[Any, Any, T]) -> T:
        """``work``'s result, or TimeoutError after ``timeout`` seconds. The work goes on
        aside (a statement on a database thread cannot be stopped, and its rollback would wait
        for it): at worst it counts once more, later."""
        task = asyncio.ensure_future(work)
        try:
            return await asyncio.wait_for(asyncio.shield(task), self._timeout)
        except BaseException:  # the wait ran out (or the request was cancelled)
            if not task.done():
                self._late.add(task)
                task.add_done_callback(self._forget_late)
            raise

    def _forget_late(self, task: asyncio.Future[Any]) -> None:
        self._late.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: its failure was already answered for

    async def prune(self) -> None:
        """Delete the rows whose bucket is full again (they are what a missing row means)."""
        now = sa.literal(self._clock())
        full = (now - _table.c.updated) * _table.c.rate >= _table.c.burst - _table.c.tokens
        await self._execute(sa.delete(_table).where(full), {})

    async def _take(self, buckets: Sequence[Bucket]) -> dict[str, float]:
        now = self._clock()
        params: dict[str, Any] = {"now": now}
        for i, bucket in enumerate(buckets):
            params[f"key{i}"] = bucket.key
            params[f"tokens{i}"] = bucket.burst - 1.0  # a new bucket, less the token taken
            params[f"rate{i}"] = float(bucket.rate)
            params[f"burst{i}"] = float(bucket.burst)
        rows = await self._execute_sql(self._take_statement(len(buckets)), params)
        taken = {row[0] for row in rows}
        if len(taken) == len(buckets):
            return {}
        if taken:
            await self._give_back(sorted(taken))
        return await self._waits([b for b in buckets if b.key not in taken], now)

    async def _waits(self, buckets: Sequence[Bucket], now: float) -> dict[str, float]:
        query = sa.select(_table.c.key, _table.c.tokens, _table.c.updated).where(
            _table.c.key.in_([b.key for b in buckets])
        )
        found = {row[0]: (row[1], row[2]) for row in await self._execute(query, {})}
        waits = {}
        for bucket in buckets:
            tokens, updated = found.get(bucket.key, (0.0, now))
            tokens = min(float(bucket.burst), tokens + max(0.0, now - updated) * bucket.rate)
            waits[bucket.key] = max(0.0, 1.0 - tokens) / bucket.rate
        return waits

    async def _give_back(self, keys: Sequence[str]) -> None:
        now = sa.literal(self._clock())
        elapsed = _greatest(now - _table.c.updated, sa.literal(0.0))
        refilled = _least(_table.c.burst, _table.c.tokens + elapsed * _table.c.rate)
        statement = (
            sa.update(_table)
            .where(_table.c.key.in_(keys))
            .values(
                tokens=_least(_table.c.burst, refilled + 1.0),
                updated=_greatest(_table.c.updated, now),
            )
        )
        await self._execute(statement, {})

    def _take_statement(self, count: int) -> str:
        statement = self._statements.get(count)
        if statement is None:
            statement = self._statements[count] = _take_sql(self._dialect, count)
        return statement

    def _take_locally(self, buckets: Sequence[Bucket]) -> dict[str, float]:
        waits = {b.key: self._local_buckets(b).wait_for(b.key) for b in buckets}
        refused = {key: wait for key, wait in waits.items() if wait > 0}
        if not refused:
            for bucket in buckets:
                self._local_buckets(bucket).take(bucket.key)
        return refused

    def _local_buckets(self, bucket: Bucket) -> TokenBuckets:
        shape = (bucket.rate, bucket.burst)
        local = self._local.get(shape)
        if local is None:
            local = self._local[shape] = TokenBuckets(bucket.rate, bucket.burst)
        return local

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY:
            self._warned = now
            log.warning(
                "shared limits: the database did not answer (%s); counting in this process",
                type(exc).__name__,
            )
