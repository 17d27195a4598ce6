"""/healthz: the overall state and counts for anyone, each core server for admins, and
``?ready=ami`` for monitors that must know the switchboard is live."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from bridge.pbxsim import SimulatedPbx
from tests.api.test_extension_actions import connected
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.support import Seed, basic, poll_until
from tests.world import World


async def health(
    client: TestClient[Any, Any], query: str = "", **headers: str
) -> tuple[int, dict[str, Any]]:
    async with client.get(f"/healthz{query}", headers=headers) as response:
        return response.status, await response.json()


async def test_without_credentials_only_the_state_and_counts(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await start_bridge(ami=FAST_AMI)
    await connected(client, pbx)
    status, body = await health(client)
    # "default" is up, "branch" points at a closed port; "old" is disabled and not counted
    assert status == 200
    assert body["status"] == "degraded" and body["database"] is True
    assert body["amiStatus"]["connected"] == 1
    assert sum(body["amiStatus"].values()) == 2
    assert set(body) == {"status", "database", "amiStatus"}
    for secret in (pbx_world.cs, pbx_world.branch_cs, "default", "branch", "Main PBX"):
        assert secret not in str(body)
    # a non-admin account learns no more; an admin sees each core server
    status, body = await health(client, **basic("viewer", "viewer-pw"))
    assert "coreServers" not in body
    status, body = await health(client, **basic("admin", "admin-pw"))
    assert sorted((s["slug"], s["amiStatus"]) for s in body["coreServers"])[1] == (
        "default",
        "connected",
    )
    assert "bridge-secret" not in str(body)
    status, body = await health(client, **basic("admin", "wrong"))
    assert (status, body["error"]) == (401, "unauthenticated")


async def test_ready_ami_is_503_while_a_link_is_down(
    seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    await seed.core_server(
        "default", ami_port=pbx.port, ami_username="bridge", ami_secret="bridge-secret"
    )
    await seed.account("admin", "admin-pw", is_admin=True)
    client = await start_bridge(ami=FAST_AMI)
    await connected(client, pbx)
    assert await health(client, "?ready=ami") == (
        200,
        {
            "status": "ok",
            "database": True,
            "amiStatus": {"connecting": 0, "connected": 1, "disconnected": 0, "loginFailed": 0},
        },
    )
    pbx.refuse_logins = True
    pbx.drop_connections()

    async def link_down() -> bool:
        return bool((await health(client))[1]["amiStatus"]["connected"] == 0)

    async with asyncio.timeout(5):
        await poll_until(link_down)
    status, body = await health(client, "?ready=ami")
    assert (status, body["status"]) == (503, "degraded")
    status, body = await health(client)
    assert (status, body["status"]) == (200, "degraded")  # the service itself answers
    status, body = await health(client, "?ready=yes")
    assert (status, body["error"]) == (400, "invalid-parameter")
