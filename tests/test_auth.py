"""Basic auth: argon2id verification, remembered credentials, and no shortcut for wrong ones."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import pytest
from argon2 import PasswordHasher

from bridge.auth import Authenticator, hash_password, parse_basic
from bridge.directory.build import DirectoryRows, build_snapshot
from bridge.directory.snapshot import Snapshot
from bridge.errors import Unauthenticated
from tests.support import CHEAP_HASHER, utc


def header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def snapshot_with(*accounts: tuple[str, str, bool]) -> Snapshot:
    account_rows = [
        {
            "id": f"id-{name}",
            "username": name,
            "password_hash": hashed,
            "is_admin": False,
            "enabled": enabled,
            "user_id": None,
        }
        for name, hashed, enabled in accounts
    ]
    rows = DirectoryRows([], [], [], [], [], [], account_rows, [])
    return build_snapshot(rows, utc(2026, 1, 1), version=1)


@pytest.fixture
async def authenticator() -> AsyncIterator[Authenticator]:
    auth = Authenticator()
    yield auth
    auth.close()


async def test_right_password_is_verified_once_then_remembered(
    authenticator: Authenticator,
) -> None:
    snapshot = snapshot_with(("ann", CHEAP_HASHER.hash("pw"), True))
    for _ in range(5):
        account = await authenticator.authenticate(header("ann", "pw"), snapshot)
        assert account.username == "ann"
    assert authenticator.verifications == 1


async def test_wrong_password_is_verified_every_time(authenticator: Authenticator) -> None:
    snapshot = snapshot_with(("ann", CHEAP_HASHER.hash("pw"), True))
    await authenticator.authenticate(header("ann", "pw"), snapshot)
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            await authenticator.authenticate(header("ann", "wrong"), snapshot)
    # unknown users cost a verification too (against a dummy hash)
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(header("nobody", "pw"), snapshot)
    assert authenticator.verifications == 1 + 3 + 1


async def test_remembered_credential_ends_with_the_row(authenticator: Authenticator) -> None:
    first = snapshot_with(("ann", CHEAP_HASHER.hash("pw"), True))
    await authenticator.authenticate(header("ann", "pw"), first)
    disabled = snapshot_with(("ann", first.accounts_by_username["ann"].password_hash, False))
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(header("ann", "pw"), disabled)
    rehashed = snapshot_with(("ann", CHEAP_HASHER.hash("pw"), True))
    await authenticator.authenticate(header("ann", "pw"), rehashed)
    assert authenticator.verifications == 3  # the new hash was verified afresh


async def test_plain_passwords_are_not_kept(authenticator: Authenticator) -> None:
    snapshot = snapshot_with(("ann", CHEAP_HASHER.hash("s3cret-value"), True))
    await authenticator.authenticate(header("ann", "s3cret-value"), snapshot)
    for key, value in authenticator._remembered.items():
        assert b"s3cret-value" not in key and "s3cret-value" not in repr(value)
        assert len(key) == 32


async def test_a_seeded_non_argon2_hash_cannot_log_in(authenticator: Authenticator) -> None:
    snapshot = snapshot_with(("ann", "plain-text-password", True))
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(header("ann", "plain-text-password"), snapshot)


def test_hash_password_is_argon2id_with_default_cost() -> None:
    hashed = hash_password("x")
    assert hashed.startswith("$argon2id$")
    assert PasswordHasher().verify(hashed, "x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Basic " + base64.b64encode(b"a:b:c").decode(), ("a", "b:c")),
        ("basic " + base64.b64encode("zoë:pä55".encode()).decode(), ("zoë", "pä55")),
        ("Basic " + base64.b64encode(b"a:").decode(), ("a", "")),
    ],
)
def test_parse_basic(value: str, expected: tuple[str, str]) -> None:
    assert parse_basic(value) == expected


@pytest.mark.parametrize(
    "value", [None, "", "Basic", "Basic ", "Digest x", "Basic ***", "Basic " + "QQ==" * 2000]
)
def test_parse_basic_refuses(value: str | None) -> None:
    with pytest.raises(Unauthenticated):
        parse_basic(value)


async def test_a_flood_of_logins_is_bounded_not_queued() -> None:
    from bridge.errors import RateLimited

    auth = Authenticator(workers=1, max_waiting=2)
    try:
        slow = PasswordHasher().hash("pw")  # the default cost: each check takes a while
        snapshot = snapshot_with(("ann", slow, True))

        async def attempt(guess: int) -> str:
            try:
                await auth.authenticate(header("ann", f"wrong-{guess}"), snapshot)
            except RateLimited as error:
                assert error.retry_after == 1 and error.error_id == "login-busy"
                return "busy"
            except Unauthenticated:
                return "refused"
            return "accepted"

        outcomes = await asyncio.gather(*(attempt(guess) for guess in range(6)))
        assert sorted(outcomes) == ["busy"] * 3 + ["refused"] * 3
        assert auth.verifications == 3
    finally:
        auth.close()


async def test_a_burst_of_the_same_new_login_is_verified_once() -> None:
    """A dashboard opening many connections at once with one account: one argon2 check for all
    of them, not a queue of identical checks (or a login-busy refusal)."""
    auth = Authenticator(workers=1, max_waiting=2)
    try:
        snapshot = snapshot_with(("ann", PasswordHasher().hash("pw"), True))
        accounts = await asyncio.gather(
            *(auth.authenticate(header("ann", "pw"), snapshot) for _ in range(50))
        )
        assert {account.username for account in accounts} == {"ann"}
        assert auth.verifications == 1
        # the same wrong guess at once is one check too, and each attempt is refused
        outcomes = await asyncio.gather(
            *(auth.authenticate(header("ann", "nope"), snapshot) for _ in range(5)),
            return_exceptions=True,
        )
        assert all(isinstance(outcome, Unauthenticated) for outcome in outcomes)
        assert auth.verifications == 2
    finally:
        auth.close()
