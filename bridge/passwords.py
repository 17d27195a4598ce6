"""argon2id password checks, run on a small thread pool shared fairly among client addresses.

A check costs tens of milliseconds by design, so the pool is what a password guesser attacks:
waiting checks are taken in turn from each address (round robin), so one address with many
guesses waiting delays another address's login by about one check, not by all of its own. An
address may have ``per_source`` checks waiting and all together ``max_waiting``; past that the
answer is ``429 login-busy`` at once.
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


class FairPool:
    """Runs blocking checks on ``workers`` threads, taking waiting ones in turn per source."""

    def __init__(self, workers: int = 2, per_source: int = 8, max_waiting: int = 32) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._workers = workers
        self._per_source = per_source
        self._max_waiting = max_waiting
        self._queues: OrderedDict[str, deque[_Job]] = OrderedDict()
        self._waiting = 0
        self._running = 0
        self.started = 0  # checks handed to a thread so far

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, source: str, check: Callable[[], bool]) -> bool:
        """``check()`` on the pool, in ``source``'s turn; RateLimited (login-busy) when its
        share of the queue, or the queue, is full."""
        queue = self._queues.get(source)
        if self._waiting >= self._max_waiting or (queue and len(queue) >= self._per_source):
            raise RateLimited(
                "Too many logins are being checked; try again shortly",
                retry_after=1,
                error_id="login-busy",
            )
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if queue is None:
            queue = self._queues[source] = deque()
        queue.append((check, future))
        self._waiting += 1
        self._start_next()
        return await future

    def _start_next(self) -> None:
        loop = asyncio.get_running_loop()
        while self._running < self._workers and self._queues:
            source, queue = next(iter(self._queues.items()))
            check, future = queue.popleft()
            self._waiting -= 1
            if queue:
                self._queues.move_to_end(source)  # the next check comes from another source
            else:
                del self._queues[source]
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
