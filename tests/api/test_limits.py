"""Abuse limits: originate per account (429 with Retry-After), failed logins per address, CORS."""

from __future__ import annotations

import pytest

from bridge.limits import TokenBuckets
from bridge.pbxsim import SimulatedPbx
from tests.api.test_extension_actions import connected, ext_path, post
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.support import P, basic
from tests.world import World


def test_token_buckets_refill_at_the_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=0.5, burst=2, clock=lambda: now[0])
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(2.0)  # one token every 2 s
    assert buckets.take("b") == 0.0  # per key
    now[0] = 1.0
    assert buckets.take("a") == pytest.approx(1.0)
    now[0] = 2.0
    assert buckets.take("a") == 0.0
    now[0] = 100.0
    assert buckets.wait_for("a") == 0.0  # never more than the burst
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") > 0


async def test_originate_rate_limit_per_account(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await start_bridge(
        ami=FAST_AMI, limits={"originate_per_minute": 6, "originate_burst": 3}
    )
    await connected(client, pbx)
    body = {"destinationNumber": "200"}
    statuses = [(await post(client, f"{ext_path(pbx_world)}/originate", body))[0] for _ in range(3)]
    assert statuses == [204, 204, 204]
    headers = basic("admin", "admin-pw")
    async with client.post(
        f"{ext_path(pbx_world)}/originate", json=body, headers=headers
    ) as response:
        assert response.status == 429
        assert 1 <= int(response.headers["Retry-After"]) <= 10
        answer = await response.json()
        assert answer["error"] == "rate-limited"
    # another account has its own allowance; DND takes from the actions', not the calls' one
    assert (await post(client, f"{ext_path(pbx_world, '101')}/originate", body, "viewer"))[0] == 204
    assert (await post(client, f"{ext_path(pbx_world)}/enableDnd"))[0] == 204
    # the right comes first: an account that may not originate gets 403, not 429
    assert (await post(client, f"{ext_path(pbx_world, '101')}/originate", body, "csonly"))[0] == 403
    assert pbx.action_count("Originate") == 4


async def test_failed_logins_per_address(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge(limits={"failed_logins_per_minute": 1, "failed_logins_burst": 3})
    path = f"{P}/coreServers"
    # a credential verified before the storm keeps working (it is remembered)
    async with client.get(path, headers=basic("viewer", "viewer-pw")) as response:
        assert response.status == 200
    for _ in range(3):
        async with client.get(path, headers=basic("admin", "guess")) as response:
            assert response.status == 401
    async with client.get(path, headers=basic("admin", "admin-pw")) as response:
        assert response.status == 429  # even the right password: the address is cooling down
        assert int(response.headers["Retry-After"]) >= 1
        assert (await response.json())["error"] == "too-many-logins"
    async with client.get(path, headers=basic("viewer", "viewer-pw")) as response:
        assert response.status == 200


async def test_cors_is_off_by_default(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    headers = {**basic("admin", "admin-pw"), "Origin": "https://wall.example"}
    async with client.get(f"{P}/coreServers", headers=headers) as response:
        assert response.status == 403  # a page elsewhere is foreign until listed
        assert (await response.json())["error"] == "origin-forbidden"
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_cors_allow_list(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge(http={"cors_origins": ("https://wall.example",)})
    preflight = {
        "Origin": "https://wall.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    async with client.options(f"{P}/coreServers", headers=preflight) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "https://wall.example"
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    async with client.options(
        f"{P}/coreServers", headers={**preflight, "Origin": "https://evil.example"}
    ) as response:
        assert response.status == 403
        assert "Access-Control-Allow-Origin" not in response.headers
    for headers, status in ((basic("admin", "admin-pw"), 200), ({}, 401)):
        async with client.get(
            f"{P}/coreServers", headers={**headers, "Origin": "https://wall.example"}
        ) as response:
            assert response.status == status  # errors carry the headers too
            assert response.headers["Access-Control-Allow-Origin"] == "https://wall.example"
            assert response.headers["Access-Control-Allow-Credentials"] == "true"
