"""argon2id password checks, run on a small thread pool shared fairly among client addresses.

A check costs tens of milliseconds by design, so the pool is what a password guesser attacks:
waiting checks are taken in turn from each address (round robin), and within an address from
each user name, so one address with many guesses waiting delays another's login by about one
check, not by all of its own. The queue is bounded; past a share the answer is
``429 login-busy`` at once, and a newcomer displaces the newest check of whoever holds the most.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bridge.errors import RateLimited

log = logging.getLogger(__name__)

# Unknown usernames are checked against this hash (default cost; its password was thrown away).
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$+f6NvFw3o+6DkaZjC8lbIg"
    "$+ppp7CehqCiQD6AlFXrJ5V1xPIrgMfzmuudYwWpYTnI"
)
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id PHC string for the ``accounts.password_hash`` column."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the argon2 hash ``stored`` (blocking: run it on the pool)."""
    try:
        return _hasher.verify(stored, password)
    except VerifyMismatchError:
        return False
    except (InvalidHashError, VerificationError):
        # An admin seeded something that is not an argon2 hash; this account cannot log in.
        log.warning("an account's password_hash is not a valid argon2 hash")
        with contextlib.suppress(VerificationError):  # the same cost as a real check
            _hasher.verify(DUMMY_HASH, password + "\0")
        return False


_Job = tuple[Callable[[], Any], "asyncio.Future[Any]"]
_Names = OrderedDict[str, deque[_Job]]


def _longest(names: _Names) -> str:
    return max(names, key=lambda name: len(names[name]))


def _busy() -> RateLimited:
    return RateLimited(
        "Too many logins are being checked; try again shortly", retry_after=1, error_id="login-busy"
    )


class FairPool:
    """Runs blocking checks on ``workers`` threads. Waiting checks are taken in turn from each
    source (a client address), and within a source in turn from each name (a user name), so
    that neither one address nor one name guessed at can make the others wait.

    A source may have ``per_source`` checks waiting, all sources together ``max_waiting``. When
    a share is full, a newcomer that has fewer waiting than the one holding the most takes the
    place of that one's newest check (which is answered login-busy): a flood from a few
    addresses, or at one name, cannot keep a newcomer out."""

    def __init__(self, workers: int = 2, per_source: int = 8, max_waiting: int = 32) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._workers = workers
        self._per_source = per_source
        self._max_waiting = max_waiting
        self._sources: OrderedDict[str, _Names] = OrderedDict()
        self._by_source: dict[str, int] = {}
        self._waiting = 0
        self._running = 0
        self.started = 0  # checks handed to a thread so far

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, source: str, name: str, check: Callable[[], bool]) -> bool:
        """``check()`` on the pool, in its turn; RateLimited (login-busy) when its share of
        the queue, or the queue, is full of checks no more numerous than its own."""
        names = self._sources.get(source)
        own = len(names[name]) if names is not None and name in names else 0
        if self._by_source.get(source, 0) >= self._per_source:
            assert names is not None
            self._make_room(source, _longest(names), own)
        if self._waiting >= self._max_waiting:
            crowded = max(self._by_source, key=self._by_source.__getitem__)
            if self._by_source[crowded] < self._by_source.get(source, 0) + 2:
                raise _busy()
            self._make_room(crowded, _longest(self._sources[crowded]), -1)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        names = self._sources.setdefault(source, OrderedDict())
        names.setdefault(name, deque()).append((check, future))
        self._by_source[source] = self._by_source.get(source, 0) + 1
        self._waiting += 1
        self._start_next()
        return await future

    def _make_room(self, source: str, name: str, own: int) -> None:
        """Answer ``source``'s newest check at ``name`` login-busy, when that queue is longer
        than ``own + 1`` (else refuse the newcomer instead)."""
        queue = self._sources[source][name]
        if len(queue) < own + 2:
            raise _busy()
        _check, future = queue.pop()
        self._forget(source, name)
        if not future.done():
            future.set_exception(_busy())

    def _forget(self, source: str, name: str) -> None:
        """One check of ``source`` at ``name`` left the queue."""
        names = self._sources[source]
        if not names[name]:
            del names[name]
        if not names:
            del self._sources[source]
        self._by_source[source] -= 1
        if not self._by_source[source]:
            del self._by_source[source]
        self._waiting -= 1

    def _start_next(self) -> None:
        loop = asyncio.get_running_loop()
        while self._running < self._workers and self._sources:
            source, names = next(iter(self._sources.items()))
            name, queue = next(iter(names.items()))
            check, future = queue.popleft()
            names.move_to_end(name)  # the next of this source comes from another name
            self._sources.move_to_end(source)  # the next check from another source
            self._forget(source, name)
            if future.done():
                continue  # nobody waits for it any more
            self._running += 1
            self.started += 1
            running = loop.run_in_executor(self._executor, check)
            running.add_done_callback(functools.partial(self._finished, future))

    def _finished(self, future: asyncio.Future[Any], done: asyncio.Future[Any]) -> None:
        self._running -= 1
        if not future.done():
            if done.cancelled():
                future.cancel()
            elif done.exception() is not None:
                future.set_exception(done.exception())  # type: ignore[arg-type]
            else:
                future.set_result(done.result())
        self._start_next()
