"""Admin SQL made while the bridge runs shows in answers within a second, with no restart, and
requests never reload the directory."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bridge import models
from bridge.db import create_engine
from bridge.keys import directory_key
from tests.conftest import StartBridge
from tests.support import P, Seed, basic, call
from tests.world import World

VISIBLE_WITHIN = 1.0  # seconds: the contract (docs/schema.md)


async def eventually(probe: Callable[[], Awaitable[bool]]) -> None:
    """Wait until ``probe()`` holds: a probe started the contract's second after the change
    must hold. The contract bounds when a change is seen, not how long the request that sees
    it takes: a wrong password's answer waits for its check and its failed-login count, which
    on a loaded machine can end past that second."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + VISIBLE_WITHIN
    async with asyncio.timeout(VISIBLE_WITHIN + 10):
        # A dashboard polls the API; so does this test (there is no event to await outside).
        while True:
            started = loop.time()
            if await probe():
                return
            assert started < deadline, f"not seen within {VISIBLE_WITHIN} s"
            await asyncio.sleep(0.02)


def answers(
    client: TestClient[Any, Any], path: str, expected: tuple[int, Any], account: str = "admin"
) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return await call(client, "GET", path, account) == expected

    return probe


def status_is(
    client: TestClient[Any, Any], path: str, status: int, headers: dict[str, str] | None = None
) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        async with client.get(path, headers=headers or basic("admin", "admin-pw")) as response:
            return response.status == status

    return probe


async def test_new_user_and_extension_appear(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    full = await seed.license(world.cs, seats=1)
    await seed.sql(
        "INSERT INTO users (core_server_id, username, display_name, license_id)"
        " VALUES (:cs, 'hank', 'Hank', :lic)",
        cs=world.cs,
        lic=full,
    )
    await seed.sql(
        "INSERT INTO extensions (core_server_id, user_id, extension_number)"
        " SELECT core_server_id, id, '300' FROM users WHERE username = 'hank'"
    )
    ext = f"{P}/coreServers/{world.cs}/extensions/getByName/300"
    await eventually(status_is(client, ext, 200))
    _, body = await call(client, "GET", ext)
    assert body["displayName"] == "Hank"


async def test_changed_display_name_shows(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    path = f"{P}/coreServers/{world.cs}/extensions/{world.ext['100']}"
    _, before = await call(client, "GET", path)
    assert before["displayName"] == "Alice"
    await seed.sql(
        "UPDATE extensions SET display_name = 'Zoë Ä' WHERE id = :id", id=world.ext["100"]
    )
    await eventually(answers(client, path, (200, {**before, "displayName": "Zoë Ä"})))


async def test_disabled_account_is_refused(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    path = f"{P}/coreServers/{world.cs}"
    assert (await call(client, "GET", path, "viewer"))[0] == 200  # remembered credential now
    await seed.sql("UPDATE accounts SET enabled = FALSE WHERE username = 'viewer'")
    await eventually(status_is(client, path, 401, basic("viewer", "viewer-pw")))


async def test_changed_password_forgets_the_remembered_credential(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    from tests.support import CHEAP_HASHER

    client = await start_bridge()
    path = f"{P}/coreServers/{world.cs}"
    assert (await call(client, "GET", path, "viewer"))[0] == 200
    await seed.sql(
        "UPDATE accounts SET password_hash = :h WHERE username = 'viewer'",
        h=CHEAP_HASHER.hash("new-pw"),
    )
    await eventually(status_is(client, path, 401, basic("viewer", "viewer-pw")))
    assert (await call(client, "GET", path, "viewer", password="new-pw"))[0] == 200


async def test_new_grant_shows_and_revoked_grant_hides(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    path = f"{P}/coreServers/{world.cs}/extensions/getByName/108"
    assert (await call(client, "GET", path, "viewer"))[0] == 403
    permission = await seed.permission_of(models.Extension, world.ext["108"])
    grant = await seed.grant(world.accounts["viewer"], permission, "view")
    await eventually(status_is(client, path, 200, basic("viewer", "viewer-pw")))
    await seed.sql("DELETE FROM grants WHERE id = :id", id=grant)
    await eventually(status_is(client, path, 403, basic("viewer", "viewer-pw")))


async def test_license_changes(world: World, seed: Seed, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    carol = f"{P}/coreServers/{world.cs}/extensions/getByName/102"
    assert (await call(client, "GET", carol))[0] == 403
    # one more seat: carol (third in seat order) becomes licensed
    await seed.sql(
        "UPDATE licenses SET seats = 3"
        " WHERE id = (SELECT license_id FROM users WHERE username = 'carol')"
    )
    await eventually(status_is(client, carol, 200))
    # user moved off the license: the extension stops existing for the API
    await seed.sql("UPDATE users SET license_id = NULL WHERE username = 'carol'")
    await eventually(status_is(client, carol, 403))


async def test_license_expiring_while_running(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1.5)
    lic = await seed.license(world.cs, seats=5, expires_at=soon)
    user = await seed.user(world.cs, "temp", lic)
    await seed.extension(world.cs, "400", user)
    client = await start_bridge()
    ext = f"{P}/coreServers/{world.cs}/extensions/getByName/400"
    assert (await call(client, "GET", ext))[0] == 200
    # nothing is written to the database: the bridge itself notices the expiry
    await asyncio.sleep(max(0.0, (soon - dt.datetime.now(dt.UTC)).total_seconds()))
    await eventually(status_is(client, ext, 403))


async def test_requests_do_not_reload(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    directory = client.app[directory_key]
    before = directory.reloads
    for _ in range(50):
        assert (await call(client, "GET", f"{P}/coreServers/{world.cs}/extensions"))[0] == 200
    assert directory.reloads == before


async def test_core_server_added_and_disabled(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    await seed.sql("INSERT INTO core_servers (slug, name) VALUES ('new', 'New')")
    new = f"{P}/coreServers/getByName/new"
    await eventually(status_is(client, new, 200))
    await seed.sql("UPDATE core_servers SET enabled = FALSE WHERE slug = 'new'")
    await eventually(status_is(client, new, 403))
    await seed.sql("DELETE FROM core_servers WHERE slug = 'new'")
    await eventually(status_is(client, new, 404))


# SQLite's type affinity lets these values in; PostgreSQL's types refuse them.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@sqlite_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE licenses SET seats = 2.5",
        "UPDATE licenses SET seats = 'abc'",
        "UPDATE queues SET identifier = X'ff' WHERE identifier = 'closed'",
        "UPDATE extensions SET display_name = X'4142'",
        "UPDATE extensions SET extension_number = 100 WHERE extension_number = '100'",
        "UPDATE users SET username = X'ff' WHERE username = 'frank'",
        "UPDATE core_servers SET ami_port = 5038.5",  # the row is left out: 404 below
        "UPDATE agents SET penalty = 'high'",
    ],
)
async def test_oddly_typed_sqlite_values_never_break_the_service(
    world: World, seed: Seed, start_bridge: StartBridge, statement: str
) -> None:
    client = await start_bridge()
    directory = client.app[directory_key]
    before = directory.reloads
    await seed.sql(statement)
    async with asyncio.timeout(VISIBLE_WITHIN):
        await directory.wait_for_version(directory.current.version + 1)
    assert directory.reloads > before and directory.database_ok
    for path in (
        f"{P}/coreServers/{world.cs}/extensions",
        f"{P}/coreServers/{world.cs}/users",
        f"{P}/coreServers/{world.cs}/extensions/{world.ext['100']}",
        f"{P}/coreServers/{world.cs}/queues/getByName/support/agents",
    ):
        status, body = await call(client, "GET", path)
        assert status in (200, 403, 404), (path, status)
        if status == 404:
            assert body["error"] == "core-server-not-found" and "ami_port" in statement


@sqlite_only
async def test_a_fractional_seat_count_licenses_nobody(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    await seed.sql(
        "UPDATE licenses SET seats = 2.5"
        " WHERE id = (SELECT license_id FROM users WHERE username = 'alice')"
    )
    client = await start_bridge()
    status, body = await call(client, "GET", f"{P}/coreServers/{world.cs}/extensions")
    assert (status, [e["extensionNumber"] for e in body]) == (200, ["107"])


@sqlite_only
@pytest.mark.parametrize(
    "written", ["2020-13-45 00:00:00", "1577836800", "2020-01-01 00:00:00 UTC", "01/01/2099"]
)
async def test_an_unreadable_expiry_fails_closed(
    world: World, seed: Seed, start_bridge: StartBridge, written: str
) -> None:
    await seed.sql(
        "UPDATE licenses SET expires_at = :t"
        " WHERE id = (SELECT license_id FROM users WHERE username = 'alice')",
        t=written,
    )
    client = await start_bridge()
    status, _ = await call(client, "GET", f"{P}/coreServers/{world.cs}/extensions/getByName/100")
    assert status == 403


@sqlite_only
async def test_a_replaced_sqlite_file_is_noticed(
    world: World, seed: Seed, start_bridge: StartBridge, tmp_path: Path
) -> None:
    client = await start_bridge()
    path = Path(seed.engine.url.database or "")
    copy = tmp_path / "copy.db"
    async with seed.engine.connect() as connection:
        await connection.exec_driver_sql(f"VACUUM INTO '{copy}'")
    other = create_engine(f"sqlite+aiosqlite:///{copy}")
    try:
        await Seed(other).sql(
            "UPDATE extensions SET display_name = 'Swapped' WHERE id = :id", id=world.ext["100"]
        )
    finally:
        await other.dispose()
    os.replace(copy, path)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")
    ext = f"{P}/coreServers/{world.cs}/extensions/{world.ext['100']}"

    async def swapped() -> bool:
        return bool((await call(client, "GET", ext))[1]["displayName"] == "Swapped")

    await eventually(swapped)


async def test_rows_the_directory_does_not_hold_rebuild_nothing(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    """Another process's (another worker's, another host's) audit rows, allowances and
    idempotency keys are commits too, one per action: they must not rebuild this process's
    directory, which costs the more the larger it is."""
    client = await start_bridge()
    directory = client.app[directory_key]
    before = directory.reloads
    for n in range(20):
        await seed.sql(
            "INSERT INTO allowances (key, tokens, updated, rate, burst)"
            " VALUES (:k, 1.0, 0.0, 1.0, 10.0)",
            k=f"originate:{n}",
        )
        await seed.sql(
            "INSERT INTO idempotency_keys (account_id, key, fingerprint, started)"
            " VALUES ('a', :k, 'f', 0.0)",
            k=f"key-{n}",
        )
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.2)  # past the once-a-second look at the database as well
    assert directory.reloads == before
    # and a change to the directory still does
    await seed.sql(
        "UPDATE extensions SET display_name = 'Moved' WHERE id = :id", id=world.ext["100"]
    )
    async with asyncio.timeout(VISIBLE_WITHIN):
        await directory.wait_for_version(directory.current.version + 1)
    assert directory.reloads > before
