"""Two ``bridge serve`` processes on one database, and the simulated PBX over TCP: the originate
allowance and the failed-login limit are one for both, and an ``Idempotency-Key`` retried at the
other process places no second call (409 while the first is in flight, 422 with another body);
``[http] workers = 2`` on one port spend one allowance too."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from bridge.pbxsim import SimulatedPbx
from tests.support import P, basic, free_port, poll_until
from tests.test_serve import NotifySocket, Served, serving, start_serve, stopped_at_the_end
from tests.world import World

ADMIN = basic("admin", "admin-pw")
CALL = {"destinationNumber": "200"}


@contextlib.asynccontextmanager
async def two_bridges(
    database_url: str, tmp_path: Path, pbx: SimulatedPbx, **env: str
) -> AsyncIterator[tuple[Served, Served]]:
    """Two serving processes, each with its AMI link to the PBX up."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with (
        serving(database_url, tmp_path / "a", None, **env) as first,
        serving(database_url, tmp_path / "b", None, **env) as second,
    ):
        async with asyncio.timeout(20):
            await pbx.wait_for_logins(2)
            for served in (first, second):
                await poll_until(functools.partial(_connected, served), 0.05)
        yield first, second


async def _connected(served: Served) -> bool:
    return await ami_status(served) == "connected"


async def ami_status(served: Served) -> str:
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{served.port}{P}/coreServers/getByName/default"
        async with session.get(url, headers=ADMIN) as response:
            return str((await response.json())["amiStatus"])


async def post(
    served: Served, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, CIMultiDictProxy[str]]:
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{served.port}{path}"
        async with session.post(url, json=body, headers={**ADMIN, **(headers or {})}) as response:
            payload = await response.json() if response.status != 204 else None
            return response.status, payload, response.headers


async def login(served: Served, password: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{served.port}{P}/coreServers"
        async with session.get(url, headers=basic("viewer", password)) as response:
            body = await response.json()
            return response.status, body.get("error", "") if isinstance(body, dict) else ""


def originate_path(world: World) -> str:
    return f"{P}/coreServers/{world.cs}/extensions/getByName/100/originate"


async def test_two_processes_spend_one_originate_allowance_and_one_login_limit(
    pbx_world: World, pbx: SimulatedPbx, database_url: str, tmp_path: Path
) -> None:
    env = {
        "BRIDGE_LIMITS_ORIGINATE_BURST": "3",
        "BRIDGE_LIMITS_ORIGINATE_PER_MINUTE": "1",
        "BRIDGE_LIMITS_FAILED_LOGINS_BURST": "3",
        "BRIDGE_LIMITS_FAILED_LOGINS_PER_MINUTE": "1",
    }
    async with two_bridges(database_url, tmp_path, pbx, **env) as (a, b):
        path = originate_path(pbx_world)
        statuses = [(await post(served, path, CALL))[0] for served in (a, b, a)]
        assert statuses == [204, 204, 204]  # the burst of 3, spent across both
        for served in (b, a):
            status, body, headers = await post(served, path, CALL)
            assert (status, body["error"]) == (429, "rate-limited")
            assert int(headers["Retry-After"]) >= 1
        assert pbx.action_count("Originate") == 3
        # three wrong passwords, at either process, are the limit of both
        assert [(await login(served, "wrong"))[0] for served in (b, a, b)] == [401] * 3
        assert await login(a, "viewer-pw") == (429, "too-many-logins")
        assert await login(b, "viewer-pw") == (429, "too-many-logins")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_an_idempotency_key_is_one_call_whichever_process_it_reaches(
    pbx_world: World, pbx: SimulatedPbx, database_url: str, tmp_path: Path
) -> None:
    async with two_bridges(database_url, tmp_path, pbx) as (a, b):
        path = originate_path(pbx_world)
        key = {"Idempotency-Key": "retry-me"}
        assert (await post(a, path, CALL, key))[0] == 204
        status, _, headers = await post(b, path, CALL, key)
        assert (status, headers.get("Idempotent-Replayed")) == (204, "true")
        assert pbx.action_count("Originate") == 1
        # another body under the key, at either process
        for served in (a, b):
            status, body, _ = await post(served, path, {"destinationNumber": "201"}, key)
            assert (status, body["error"]) == (422, "idempotency-key-reused")
        # in flight at one process: the other answers 409, then the first's answer
        pbx.stall("Originate")
        slow = {"Idempotency-Key": "slow"}
        first = asyncio.create_task(post(a, path, CALL, slow))
        async with asyncio.timeout(10):
            await pbx.wait_for_action("Originate", count=2)
        status, body, _ = await post(b, path, CALL, slow)
        assert (status, body["error"]) == (409, "idempotency-key-in-flight")
        pbx.unstall("Originate")
        assert (await first)[0] == 204
        assert (await post(b, path, CALL, slow))[0] == 204
        assert pbx.action_count("Originate") == 2


async def test_workers_on_one_port_spend_one_action_allowance(
    pbx_world: World, pbx: SimulatedPbx, database_url: str, tmp_path: Path
) -> None:
    """``[http] workers = 2``: whichever worker the kernel hands a connection to, the account
    has one allowance (per worker it would be twice the burst)."""
    notify = NotifySocket(tmp_path / "notify")
    port = free_port()
    env = {
        "BRIDGE_HTTP_WORKERS": "2",
        "BRIDGE_LIMITS_ACTIONS_BURST": "4",
        "BRIDGE_LIMITS_ACTIONS_PER_MINUTE": "1",
    }
    process = await start_serve(database_url, port, notify, tmp_path / "bridge.log", None, **env)
    try:
        async with stopped_at_the_end(process), aiohttp.ClientSession() as session:
            async with asyncio.timeout(60):
                assert (await notify.receive()).startswith("READY=1")
                await pbx.wait_for_logins(2)
                base = f"http://127.0.0.1:{port}{P}/coreServers/{pbx_world.cs}"
                connected: set[str] = set()
                while len(connected) < 2:  # new connections, until both workers' links are up
                    async with session.get(base, headers={**ADMIN, "Connection": "close"}) as r:
                        if (await r.json())["amiStatus"] == "connected":
                            connected.add(r.headers["X-Bridge-Worker"])
                answered: dict[str, list[int]] = {}
                while len(answered) < 2 or min(len(s) for s in answered.values()) < 5:
                    url = f"{base}/extensions/getByName/100/enableDnd"
                    async with session.post(url, headers={**ADMIN, "Connection": "close"}) as r:
                        answered.setdefault(r.headers["X-Bridge-Worker"], []).append(r.status)
        statuses = [status for worker in answered.values() for status in worker]
        assert statuses.count(204) == 4 and set(statuses) == {204, 429}
        assert pbx.action_count("DBPut") == 4
    finally:
        notify.close()
