"""Login defence that holds under concurrency, over real sockets: the failed-login limit is
reserved before the check and keyed on (address, user name) with a looser per-address ceiling,
every spelling of one credential is one credential, the argon2 pool is shared fairly among
addresses, and addresses come from X-Forwarded-For only behind trusted proxies."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from aiohttp.test_utils import TestClient

from bridge.keys import authenticator_key
from tests.conftest import StartBridge
from tests.support import P, Seed, basic, poll_until
from tests.world import World

PATH = f"{P}/coreServers"
PROXY = {"http": {"trusted_proxies": ("127.0.0.1",)}}


async def status_of(
    client: TestClient[Any, Any], headers: dict[str, str], path: str = PATH
) -> tuple[int, str]:
    async with client.get(path, headers=headers) as response:
        body = await response.json()
        return response.status, body.get("error", "") if isinstance(body, dict) else ""


def from_(address: str, headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "X-Forwarded-For": address}


def verifications(client: TestClient[Any, Any]) -> int:
    return int(client.app[authenticator_key].verifications)


async def test_concurrent_guesses_cannot_all_pass_one_look_at_the_limit(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge(limits={"failed_logins_per_minute": 1, "failed_logins_burst": 3})
    outcomes = await asyncio.gather(
        *(status_of(client, basic("admin", f"guess-{n}")) for n in range(30))
    )
    assert sorted(outcomes) == [(401, "unauthenticated")] * 3 + [(429, "too-many-logins")] * 27
    assert verifications(client) == 3


async def test_every_spelling_of_a_credential_is_one_credential(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge(limits={"failed_logins_per_minute": 1, "failed_logins_burst": 3})
    token = basic("viewer", "viewer-pw")["Authorization"].split()[1]
    assert await status_of(client, basic("viewer", "viewer-pw")) == (200, "")
    spellings = [f"Basic{' ' * n}{token}" for n in range(2, 12)]
    spellings += [f"basic {token}", f"BASIC {token}", f"  Basic {token}  ", f"bAsIc \t{token}"]
    for spelling in spellings:
        assert await status_of(client, {"Authorization": spelling}) == (200, ""), spelling
    assert verifications(client) == 1
    # a wrong password is a guess however it is spelt, and each guess is counted
    wrong = basic("viewer", "nope")["Authorization"].split()[1]
    statuses = [
        await status_of(client, {"Authorization": f"Basic{' ' * n}{wrong}"}) for n in (1, 2, 3, 4)
    ]
    assert [s for s, _ in statuses] == [401, 401, 401, 429]


async def test_one_address_cannot_keep_others_from_logging_in(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    """A flood of guesses from one address (unknown names: each costs a full-cost argon2 check)
    fills its own share of the queue; a login from another address is checked in its turn."""
    await seed.account("late", "late-pw")
    client = await start_bridge(
        limits={"failed_logins_per_address_burst": 1000, "failed_logins_burst": 1000}, **PROXY
    )
    flood = [
        asyncio.create_task(status_of(client, from_("10.0.0.66", basic(f"guess{n}", "x"))))
        for n in range(40)
    ]
    async with asyncio.timeout(10):
        await poll_until(lambda: verifications(client) >= 2, 0.001)  # both threads busy
    assert await status_of(client, from_("10.0.0.7", basic("late", "late-pw"))) == (200, "")
    checked_before = verifications(client)
    outcomes = await asyncio.gather(*flood)
    assert checked_before <= 6  # two were running, one of the flood per turn, then ours
    assert outcomes.count((401, "unauthenticated")) >= 8  # the flood's own share was checked
    assert outcomes.count((429, "login-busy")) >= 20  # and the rest refused at once
    assert verifications(client) - checked_before >= 5


async def test_a_guesser_behind_a_shared_address_locks_out_only_themselves(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge(
        limits={
            "failed_logins_per_minute": 1,
            "failed_logins_burst": 3,
            "failed_logins_per_address_per_minute": 1,
            "failed_logins_per_address_burst": 6,
        },
        **PROXY,
    )
    for n in range(3):
        assert (await status_of(client, from_("10.0.0.1", basic("admin", f"g{n}"))))[0] == 401
    assert await status_of(client, from_("10.0.0.1", basic("admin", "admin-pw"))) == (
        429,
        "too-many-logins",
    )
    # another client behind the same proxy, and another name at the guesser's address
    assert await status_of(client, from_("10.0.0.2", basic("admin", "admin-pw"))) == (200, "")
    assert await status_of(client, from_("10.0.0.1", basic("viewer", "viewer-pw"))) == (200, "")
    # many names from one address meet the address's ceiling
    for n in range(3):
        assert (await status_of(client, from_("10.0.0.1", basic(f"u{n}", "x"))))[0] == 401
    assert await status_of(client, from_("10.0.0.1", basic("linked", "linked-pw"))) == (
        429,
        "too-many-logins",
    )
    # the proxy's own chain: the nearest untrusted hop is the client
    chained = {"X-Forwarded-For": "10.0.0.1, 127.0.0.1", **basic("linked", "linked-pw")}
    assert (await status_of(client, chained))[1] == "too-many-logins"


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge(limits={"failed_logins_per_minute": 1, "failed_logins_burst": 3})
    statuses = [
        (await status_of(client, from_(f"10.9.0.{n}", basic("admin", f"g{n}"))))[0]
        for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]  # spoofed addresses buy no more guesses


RAW_PATHS = [
    f"{PATH}",
    "/communication_manager/ws/event",
    "/communication_manager/rest/audit",
    "/metrics",
]


async def raw_request(port: int, path: str, authorization: bytes) -> tuple[int, dict[str, Any]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: " + authorization + b"\r\nConnection: close\r\n\r\n"
        )
        async with asyncio.timeout(10):
            answer = await reader.read()
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


async def test_undecodable_bytes_in_authorization_are_a_401(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge(metrics={"enabled": True, "token": "scrape-token-0123456789"})
    port = client.port
    assert port is not None
    token = base64.b64encode(b"admin:admin-pw").decode().encode()
    for authorization in (b"Basic \xff\xfe\xfd", b"Basic " + token + b"\xc3", b"Bearer \xff"):
        for path in RAW_PATHS:
            status, body = await raw_request(port, path, authorization)
            assert status == 401, (path, authorization)
            assert body["error"] == "unauthenticated"


async def test_an_ipv6_client_is_its_slash_64(world: World, start_bridge: StartBridge) -> None:
    """One host may hold a whole /64: its addresses are one client to the login limits."""
    client = await start_bridge(
        limits={"failed_logins_per_minute": 1, "failed_logins_burst": 3}, **PROXY
    )
    statuses = [
        (await status_of(client, from_(f"2001:db8:1:2::{n:x}", basic("admin", f"g{n}"))))[0]
        for n in range(1, 6)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    # another /64 is another client
    assert await status_of(client, from_("2001:db8:1:3::1", basic("admin", "admin-pw"))) == (
        200,
        "",
    )


async def test_a_few_addresses_cannot_fill_the_queue_for_everyone(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    """Four addresses flooding fill the whole queue (8 each): a newcomer from a fifth address
    takes the place of the newest guess of the most crowded one."""
    await seed.account("late", "late-pw")
    client = await start_bridge(
        limits={"failed_logins_per_address_burst": 1000, "failed_logins_burst": 1000}, **PROXY
    )
    flood = [
        asyncio.create_task(status_of(client, from_(f"10.0.0.{a}", basic(f"g{a}x{n}", "x"))))
        for a in range(1, 5)
        for n in range(10)
    ]
    async with asyncio.timeout(10):
        await poll_until(lambda: verifications(client) >= 2, 0.001)
    assert await status_of(client, from_("10.0.0.9", basic("late", "late-pw"))) == (200, "")
    outcomes = await asyncio.gather(*flood)
    assert outcomes.count((429, "login-busy")) >= 5


async def test_a_guesser_at_one_name_cannot_keep_a_neighbour_out(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    """Behind one address: a flood of guesses at one name holds its share of the queue; a
    login under another name from the same address is taken in its turn."""
    await seed.account("late", "late-pw")
    client = await start_bridge(
        limits={"failed_logins_per_address_burst": 1000, "failed_logins_burst": 1000}, **PROXY
    )
    flood = [
        asyncio.create_task(status_of(client, from_("10.0.0.1", basic("ghost", f"guess{n}"))))
        for n in range(12)
    ]
    async with asyncio.timeout(10):
        await poll_until(lambda: verifications(client) >= 2, 0.001)
    assert await status_of(client, from_("10.0.0.1", basic("late", "late-pw"))) == (200, "")
    checked_before = verifications(client)
    outcomes = await asyncio.gather(*flood)
    assert checked_before <= 6
    assert outcomes.count((429, "login-busy")) >= 2
