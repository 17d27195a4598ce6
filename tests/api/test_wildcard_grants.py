"""A grant on the permission id ``*`` covers every object: a wallboard account with one ``view``
grant on ``*`` sees what an admin sees, and acts only where another ``*`` grant lets it."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from bridge.pbxsim import SimulatedPbx
from tests.api.test_extension_actions import started
from tests.conftest import StartBridge
from tests.support import P, Seed, basic, call
from tests.world import World

WALL = ("wall", "wallb0ard-pw")


async def every_list(client: TestClient[Any, Any], account: str, password: str | None) -> list[Any]:
    """Every list the API has, walked from ``P/coreServers`` down, as ``account`` sees it."""
    seen: list[Any] = []

    async def get(path: str) -> list[Any]:
        status, body = await call(client, "GET", path, account, password)
        assert status == 200, (path, body)
        seen.append((path, body))
        return list(body)

    for server in await get(f"{P}/coreServers"):
        cs = f"{P}/coreServers/{server['id']}"
        for extension in await get(f"{cs}/extensions"):
            await get(f"{cs}/extensions/{extension['id']}/agents")
        for user in await get(f"{cs}/users"):
            await get(f"{cs}/users/{user['id']}/extensions")
        for queue in await get(f"{cs}/queues"):
            await get(f"{cs}/queues/{queue['id']}/agents")
    return seen


async def test_view_on_everything_sees_what_an_admin_sees(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    wall = await seed.account(*WALL)
    await seed.grant(wall, "*", "view")
    client = await start_bridge()
    admin = await every_list(client, "admin", None)
    assert await every_list(client, *WALL) == admin
    # the walk above covers two core servers, their extensions, users, queues and agents
    paths = [path for path, body in admin if body]
    assert len([p for p in paths if p.endswith("/agents")]) >= 2
    assert sum(p.endswith("/extensions") for p in paths) >= 3
    # one that holds no grant sees no core server: the comparison above could fail
    status, body = await call(client, "GET", f"{P}/coreServers", "stranger")
    assert (status, body) == (200, [])

    extension = f"{P}/coreServers/{world.cs}/extensions/{world.ext['100']}"
    for action, body in (("originate", {"destinationNumber": "200"}), ("enableDnd", None)):
        status, answer = await call(client, "POST", f"{extension}/{action}", *WALL, json=body)
        assert (status, answer["error"]) == (403, "action-forbidden"), answer


async def test_originate_on_everything_may_originate(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    wall = await seed.account(*WALL)
    await seed.grant(wall, "*", "view")
    await seed.grant(wall, "*", "originate")
    client = await started(start_bridge, pbx)
    extension = f"{P}/coreServers/{pbx_world.cs}/extensions/{pbx_world.ext['108']}"
    async with client.post(
        f"{extension}/originate", json={"destinationNumber": "18005555555"}, headers=basic(*WALL)
    ) as response:
        assert response.status == 204, await response.text()
    async with asyncio.timeout(5):
        originate = await pbx.wait_for_action("Originate")
    assert originate.message["Channel"] == "PJSIP/108"
    status, answer = await call(client, "POST", f"{extension}/enableDnd", *WALL)
    assert (status, answer["error"]) == (403, "action-forbidden")
