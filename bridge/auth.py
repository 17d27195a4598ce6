"""HTTP Basic authentication against argon2id hashes, with verified credentials remembered.

Verifying argon2 costs tens of milliseconds by design. A credential that verified is remembered
under a keyed BLAKE2b hash (a MAC) of its canonical header (``Basic `` and the standard base64
of ``user:password``), keyed by a per-process random key, so neither the header nor the password
is kept; with it, the username and the account's id and hash: when the account row changes its
hash, the memory no longer matches. Every spelling of one credential (scheme case, spaces) is the
same credential, so none of them buys another check. Wrong passwords are never remembered, and
unknown usernames are verified against a dummy hash, so a wrong guess always costs a full
verification, which the failed-login limit pays for before it starts. The same credential asked
for again while its check runs (a dashboard opening many connections at once) waits for that
check instead of starting another.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
from collections import OrderedDict
from hashlib import blake2b

from bridge.directory import AccountEntry
from bridge.directory.snapshot import Snapshot
from bridge.errors import Unauthenticated
from bridge.limits import FailedLogins
from bridge.passwords import DUMMY_HASH, FairPool, hash_password, verify_password

__all__ = ["Authenticator", "hash_password", "parse_basic"]

MAX_REMEMBERED = 10_000
FIRST_ACCOUNT_HINT = (
    "No account exists yet: create the first with `bridge account add NAME --admin`"
)
MAX_HEADER_BYTES = 4096


class Authenticator:
    """Checks ``Authorization: Basic`` headers against the accounts of a snapshot."""

    def __init__(
        self,
        workers: int = 2,
        max_waiting: int = 32,
        failed_logins: FailedLogins | None = None,
        per_source: int = 8,
    ) -> None:
        self._key = os.urandom(32)
        self._remembered: OrderedDict[bytes, tuple[str, str, str]] = OrderedDict()
        self._pool = FairPool(workers, per_source, max_waiting)
        self._checking: dict[tuple[bytes, str], asyncio.Future[bool]] = {}
        self._failed_logins = failed_logins

    @property
    def verifications(self) -> int:
        """Password checks started so far."""
        return self._pool.started

    def close(self) -> None:
        self._pool.close()

    async def authenticate(
        self, header: str | None, snapshot: Snapshot, source: str = ""
    ) -> AccountEntry:
        """The account of a Basic header. ``source`` (the client's address) pays for failed
        logins: past ``[limits] failed_logins_*`` it gets 429 without a check."""
        account = self.recall(header, snapshot)
        if account is not None:
            return account
        if not snapshot.accounts_by_username:
            raise Unauthenticated(FIRST_ACCOUNT_HINT)
        username, password = parse_basic(header)
        key = self._mac(canonical_header(username, password))
        account = self._recall(key, snapshot)
        if account is not None:
            return account
        account = snapshot.accounts_by_username.get(username)
        stored = account.password_hash if account is not None else DUMMY_HASH
        verified = await self._verify_once(key, stored, password, source, username)
        if not verified or account is None or not account.enabled:
            raise Unauthenticated("Wrong username or password")
        self._remember(key, (username, account.id, account.password_hash))
        return account

    def recall(self, header: str | None, snapshot: Snapshot) -> AccountEntry | None:
        """The fast path of :meth:`authenticate`: the account of this exact header if it was
        verified before (its MAC, never the header, is kept) and still holds; else None."""
        return self._recall(self._mac(header or ""), snapshot)

    def _mac(self, header: str) -> bytes:
        # surrogateescape: a header's undecodable bytes are data like any other
        data = header.encode("utf-8", "surrogateescape")
        return blake2b(data, key=self._key, digest_size=32).digest()

    def _recall(self, key: bytes, snapshot: Snapshot) -> AccountEntry | None:
        remembered = self._remembered.get(key)
        if remembered is None:
            return None
        account = snapshot.accounts_by_username.get(remembered[0])
        if (
            account is not None
            and account.enabled
            and remembered[1:] == (account.id, account.password_hash)
        ):
            return account
        return None

    async def _verify_once(
        self, key: bytes, stored: str, password: str, source: str, username: str
    ) -> bool:
        """One check per credential and hash at a time; others asking meanwhile share it
        (and pay nothing: the check is paid for once)."""
        checking = self._checking.get((key, stored))
        if checking is not None:
            return await asyncio.shield(checking)
        # the reservation is part of the one check: those asking meanwhile wait for it too
        check = asyncio.ensure_future(self._reserve_and_verify(stored, password, source, username))
        self._checking[(key, stored)] = check
        check.add_done_callback(lambda done: self._checked(key, stored, done))
        return await asyncio.shield(check)

    def _checked(self, key: bytes, stored: str, check: asyncio.Future[bool]) -> None:
        self._checking.pop((key, stored), None)
        if not check.cancelled():
            check.exception()  # retrieved here: every asker may have gone (disconnected)

    async def _reserve_and_verify(
        self, stored: str, password: str, source: str, username: str
    ) -> bool:
        """Reserve the failed-login tokens (429 past the limit), then check: the reservation
        comes first, so that guesses at once (at any process) cannot all pass one look."""
        if self._failed_logins is not None:
            await self._failed_logins.reserve(source, username)
        try:
            verified = await self._pool.run(
                source, username[:256], lambda: verify_password(stored, password)
            )
        except BaseException:
            await self._release(source, username)  # never checked: it was no failed login
            raise
        if verified:
            await self._release(source, username)
        return verified

    async def _release(self, source: str, username: str) -> None:
        if self._failed_logins is not None:
            await self._failed_logins.release(source, username)

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


def canonical_header(username: str, password: str) -> str:
    """The header browsers and curl send for these credentials."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
