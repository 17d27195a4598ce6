"""HTTP Basic authentication against argon2id hashes, with verified credentials remembered.

Verifying argon2 costs tens of milliseconds by design. A credential that verified is remembered
under a keyed BLAKE2b hash (a MAC) of its Authorization header, keyed by a per-process random
key, so neither the header nor the password is kept; with it, the username and the account's id
and hash: when the account row changes its hash, the memory no longer matches. Wrong passwords
are never remembered, and unknown usernames are verified against a dummy hash, so a wrong guess
always costs a full verification. The same credential asked for again while its check runs (a
dashboard opening many connections at once) waits for that check instead of starting another.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import os
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from hashlib import blake2b

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bridge.directory import AccountEntry
from bridge.directory.snapshot import Snapshot
from bridge.errors import RateLimited, Unauthenticated
from bridge.limits import TokenBuckets, refuse

log = logging.getLogger(__name__)

MAX_REMEMBERED = 10_000
MAX_HEADER_BYTES = 4096
# Unknown usernames are checked against this hash (default cost; its password was thrown away).
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$+f6NvFw3o+6DkaZjC8lbIg"
    "$+ppp7CehqCiQD6AlFXrJ5V1xPIrgMfzmuudYwWpYTnI"
)


def hash_password(password: str) -> str:
    """An argon2id PHC string for the ``accounts.password_hash`` column."""
    return PasswordHasher().hash(password)


class Authenticator:
    """Checks ``Authorization: Basic`` headers against the accounts of a snapshot."""

    def __init__(
        self,
        workers: int = 2,
        max_waiting: int = 32,
        failed_logins: TokenBuckets | None = None,
    ) -> None:
        self._hasher = PasswordHasher()
        self._key = os.urandom(32)
        self._remembered: OrderedDict[bytes, tuple[str, str, str]] = OrderedDict()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self.verifications = 0
        self._in_flight = 0
        self._checking: dict[tuple[bytes, str], asyncio.Future[bool]] = {}
        self._max_in_flight = workers + max_waiting
        self._failed_logins = failed_logins

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def authenticate(
        self, header: str | None, snapshot: Snapshot, source: str = ""
    ) -> AccountEntry:
        """The account of a Basic header. ``source`` (the client's address) pays for failed
        logins: past ``[limits] failed_logins_*`` it gets 429 without a check."""
        # the fast path: this exact header verified before (its MAC, never the header, is kept)
        key = blake2b((header or "").encode(), key=self._key, digest_size=32).digest()
        remembered = self._remembered.get(key)
        if remembered is not None:
            account = snapshot.accounts_by_username.get(remembered[0])
            if (
                account is not None
                and account.enabled
                and remembered[1:] == (account.id, account.password_hash)
            ):
                return account
        username, password = parse_basic(header)
        account = snapshot.accounts_by_username.get(username)
        if self._failed_logins is not None:
            wait = self._failed_logins.wait_for(source)
            if wait > 0:
                raise refuse(wait, "Too many failed logins from this address", "too-many-logins")
        stored = account.password_hash if account is not None else DUMMY_HASH
        verified = await self._verify_once(key, stored, password)
        if not verified or account is None or not account.enabled:
            if self._failed_logins is not None:
                self._failed_logins.take(source)
            raise Unauthenticated("Wrong username or password")
        self._remember(key, (username, account.id, account.password_hash))
        return account

    async def _verify_once(self, key: bytes, stored: str, password: str) -> bool:
        """One check per credential and hash at a time; others asking meanwhile share it."""
        checking = self._checking.get((key, stored))
        if checking is not None:
            return await asyncio.shield(checking)
        check = asyncio.ensure_future(self._verify(stored, password))
        self._checking[(key, stored)] = check
        check.add_done_callback(lambda done: self._checked(key, stored, done))
        return await asyncio.shield(check)

    def _checked(self, key: bytes, stored: str, check: asyncio.Future[bool]) -> None:
        self._checking.pop((key, stored), None)
        if not check.cancelled():
            check.exception()  # retrieved here: every asker may have gone (disconnected)

    async def _verify(self, stored: str, password: str) -> bool:
        # A flood of wrong guesses must not queue real logins behind it for long: past the
        # bound, the answer is "try again in a second" at once.
        if self._in_flight >= self._max_in_flight:
            raise RateLimited(
                "Too many logins are being checked; try again shortly",
                retry_after=1,
                error_id="login-busy",
            )
        self.verifications += 1
        self._in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._verify_sync, stored, password)
        finally:
            self._in_flight -= 1

    def _verify_sync(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError):
            # An admin seeded something that is not an argon2 hash; this account cannot log in.
            log.warning("an account's password_hash is not a valid argon2 hash")
            with contextlib.suppress(VerificationError):  # the same cost as a real check
                self._hasher.verify(DUMMY_HASH, password + "\0")
            return False

    def _remember(self, key: bytes, value: tuple[str, str, str]) -> None:
        self._remembered[key] = value
        if len(self._remembered) > MAX_REMEMBERED:
            self._remembered.popitem(last=False)


def parse_basic(header: str | None) -> tuple[str, str]:
    """``(username, password)`` from an ``Authorization: Basic`` header, or Unauthenticated."""
    if not header:
        raise Unauthenticated("Credentials are required (HTTP Basic)")
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > MAX_HEADER_BYTES:
        raise Unauthenticated("Only HTTP Basic credentials are accepted")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unauthenticated("Malformed HTTP Basic credentials") from None
    username, colon, password = decoded.partition(":")
    if not colon or not username:
        raise Unauthenticated("Malformed HTTP Basic credentials")
    return username, password
