"""Abuse limits: token buckets per account (actions, originate) and for failed logins.

The buckets that must hold across processes live in the database (``bridge/allowances.py``);
``TokenBuckets`` are a process's own (event stream messages, and the stand-in for the shared
ones while the database does not answer).

Originate is where toll fraud happens: each account gets ``originate_per_minute`` calls a minute
with a burst of ``originate_burst``. Failed logins are capped too, so that guessing passwords
costs the guesser, not the bridge (argon2 is slow on purpose), and so that one guesser behind a
shared address (an office NAT, a reverse proxy) does not lock out everyone there.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.errors import RateLimited

if TYPE_CHECKING:
    from bridge.allowances import SharedAllowances

MAX_KEYS = 100_000  # buckets kept; the least recently used go first
RESERVING_PER_ADDRESS = 2  # failed-login reservations of one address at the database at once


@dataclass(frozen=True, slots=True)
class Bucket:
    """A shared bucket: ``rate`` tokens a second up to ``burst`` under ``key``."""

    key: str
    rate: float
    burst: int


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """``rate`` tokens a second up to ``burst``, one bucket per key."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """Take a token: 0.0 when there was one, else the seconds until there is one."""
        bucket = self._refill(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate

    def give_back(self, key: str) -> None:
        """Return a token taken by :meth:`take` (what it paid for did not happen)."""
        bucket = self._refill(key)
        bucket.tokens = min(self._burst, bucket.tokens + 1.0)

    def wait_for(self, key: str) -> float:
        """Seconds until ``key`` has a token (0.0: now), without taking one."""
        bucket = self._refill(key)
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self._rate

    def _refill(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._burst, now)
            if len(self._buckets) > MAX_KEYS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
        return bucket


class Turns:
    """At most ``per_key`` holders at a time for each key; others of that key wait their turn
    (in order), other keys do not wait for them."""

    def __init__(self, per_key: int) -> None:
        self._per_key = per_key
        self._keys: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        entry = self._keys.get(key)
        if entry is None:
            entry = self._keys[key] = (asyncio.Semaphore(self._per_key), [0])
        semaphore, users = entry
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._keys[key]


def refuse(wait: float, message: str, error_id: str) -> RateLimited:
    return RateLimited(message, retry_after=max(1, math.ceil(wait)), error_id=error_id)


class FailedLogins:
    """Failed logins, counted per (client address, user name) and, more loosely, per address,
    in the database (``SharedAllowances``): every process on it counts towards one limit.

    A login attempt that needs a password check reserves a token of both before the check (so
    that many guesses at once, at any process, cannot all pass one look at the bucket) and
    gives them back when the password was right. A guesser exhausts their own (address, name)
    allowance, then their address's ceiling; other names at the same address keep working
    until that ceiling.
    """

    def __init__(
        self,
        allowances: SharedAllowances,
        per_name: tuple[float, int],
        per_address: tuple[float, int],
    ) -> None:
        """``per_name`` and ``per_address``: (tokens a second, burst)."""
        self._allowances = allowances
        self._per_name = per_name
        self._per_address = per_address
        self._turns = Turns(RESERVING_PER_ADDRESS)

    async def reserve(self, address: str, username: str) -> None:
        """Take one attempt's tokens, or RateLimited (too-many-logins) without taking any.
        An address reserves a few at a time: a flood from one address waits for its own
        turns, and a login from another does not queue for the database behind all of it."""
        async with self._turns.turn(address):
            waits = await self._allowances.take(self._buckets(address, username))
        if waits:
            raise refuse(
                max(waits.values()), "Too many failed logins; try again later", "too-many-logins"
            )

    async def release(self, address: str, username: str) -> None:
        """The attempt was a good login: its tokens go back."""
        await self._allowances.give_back(self._buckets(address, username))

    def _buckets(self, address: str, username: str) -> list[Bucket]:
        return [
            Bucket(_name_key(address, username), *self._per_name),
            Bucket(f"login-address:{address}", *self._per_address),
        ]


def _name_key(address: str, username: str) -> str:
    # hashed: a row of fixed size whatever the name, and no list of guessed names in the table
    digest = hashlib.sha256(f"{address}\0{username[:256]}".encode("utf-8", "surrogateescape"))
    return f"login:{digest.hexdigest()}"
