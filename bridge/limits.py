"""Abuse limits: token buckets per account (originate) and per source address (failed logins).

Originate is where toll fraud happens: each account gets ``originate_per_minute`` calls a minute
with a burst of ``originate_burst``. Failed logins per source address are capped too, so that
guessing passwords costs the guesser, not the bridge (argon2 is slow on purpose).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bridge.errors import RateLimited

MAX_KEYS = 100_000  # buckets kept; the least recently used go first


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


def refuse(wait: float, message: str, error_id: str) -> RateLimited:
    return RateLimited(message, retry_after=max(1, math.ceil(wait)), error_id=error_id)
