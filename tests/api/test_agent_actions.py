"""Pause and unpause an agent (``AGENT/pause``, ``AGENT/unpause``) through the real app, a real
socket and the simulated PBX's queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bridge import models
from bridge.keys import audit_key
from bridge.pbxsim import SimulatedPbx, phone_lab_config
from tests.api.test_extension_actions import _is_not_connected, connected, post, started
from tests.conftest import StartBridge
from tests.live.test_live_api import eventually
from tests.pbx import FAST_AMI
from tests.support import P, Seed, basic, call
from tests.world import World

PEOPLE = {"100": "Alice", "101": "Bob", "107": "Gina", "108": "Alice Desk"}
AUDIT = "/communication_manager/rest/audit"


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    """The world's phones; alice's extension (100) is a static member of queue support."""
    config = phone_lab_config(PEOPLE, queues={"support": ["PJSIP/100"]})
    async with SimulatedPbx(login_failure_delay=0.01, call_duration=None, config=config) as sim:
        yield sim


def agent_path(world: World, agent: str = "alice", action: str = "") -> str:
    path = f"{P}/coreServers/{world.cs}/queues/getByName/support/agents/{world.agents[agent]}"
    return f"{path}/{action}" if action else path


def sent(pbx: SimulatedPbx) -> list[dict[str, str]]:
    return [
        {k: v for k, v in r.message.headers if k != "ActionID"} for r in pbx.actions("QueuePause")
    ]


async def paused(client: TestClient[Any, Any], world: World) -> Any:
    status, body = await call(client, "GET", agent_path(world))
    assert status == 200
    return body["paused"]


async def test_pause_and_unpause_send_exactly_the_contract_headers(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    await eventually(lambda: _paused_is(client, pbx_world, False))
    assert (await post(client, agent_path(pbx_world, action="pause"), {"reason": "lunch"}))[
        0
    ] == 204
    await eventually(lambda: _paused_is(client, pbx_world, True))
    assert (await post(client, agent_path(pbx_world, action="unpause")))[0] == 204
    await eventually(lambda: _paused_is(client, pbx_world, False))
    assert (await post(client, agent_path(pbx_world, action="pause")))[0] == 204  # no reason
    assert (await post(client, agent_path(pbx_world, action="pause"), {"reason": None}))[0] == 204
    base = {"Action": "QueuePause", "Queue": "support", "Interface": "PJSIP/100"}
    assert sent(pbx) == [
        {**base, "Paused": "true", "Reason": "lunch"},
        {**base, "Paused": "false"},  # as the capture's unpause: no Reason header
        {**base, "Paused": "true"},
        {**base, "Paused": "true"},
    ]
    assert all(r.message["ActionID"].startswith("bridge-") for r in pbx.actions("QueuePause"))
    # the singular form of the path acts too
    singular = agent_path(pbx_world, action="unpause").replace("/agents/", "/agent/")
    assert (await post(client, singular))[0] == 204


async def _paused_is(client: TestClient[Any, Any], world: World, value: bool) -> bool:
    return await paused(client, world) is value


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("x" * 81, "reason-too-long"),
        ("lunch\r\nAction: Hangup", "reason-invalid"),
        ("tab\there", "reason-invalid"),
        ("nul\u0000", "reason-invalid"),
        ("bidi\u202eevil", "reason-invalid"),
        (5, "reason-invalid"),
        (["lunch"], "reason-invalid"),
    ],
)
async def test_bad_reasons_never_reach_asterisk(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge, reason: Any, error: str
) -> None:
    client = await started(start_bridge, pbx)
    status, body = await post(client, agent_path(pbx_world, action="pause"), {"reason": reason})
    assert (status, body["error"]) == (422, error)
    assert pbx.action_count("QueuePause") == 0


async def test_a_reason_of_80_printable_characters_goes_through(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    reason = "Pause café \u2013 " + "z" * 67
    assert len(reason) == 80
    assert (await post(client, agent_path(pbx_world, action="pause"), {"reason": reason}))[0] == 204
    assert pbx.actions("QueuePause")[0].message["Reason"] == reason


async def test_rights_to_pause(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    cs = await seed.permission_of(models.CoreServer, pbx_world.cs)
    queue = await seed.permission_of(models.Queue, pbx_world.queues["support"])
    gina = await seed.permission_of(models.Extension, pbx_world.ext["107"])
    accounts = {n: await seed.account(n, f"{n}-pw") for n in ("watch", "ctl", "pauser")}
    for account in accounts.values():
        await seed.grant(account, cs)
        await seed.grant(account, queue)
    await seed.grant(accounts["ctl"], queue, "control")
    await seed.grant(accounts["ctl"], gina, "all")  # rights on the extension are not on its agent
    await seed.grant(accounts["pauser"], queue, "pause")
    # alice's own account views the queue: her own agent is hers to pause, gina's is not
    await seed.grant(pbx_world.accounts["linked"], queue)
    pbx.add_queue_member("support", "PJSIP/107")
    client = await started(start_bridge, pbx)

    async def as_(name: str, agent: str, action: str = "pause", body: Any = None) -> Any:
        password = {"linked": "linked-pw", "viewer": "viewer-pw"}.get(name, f"{name}-pw")
        path = agent_path(pbx_world, agent, action)
        async with client.post(path, json=body, headers=basic(name, password)) as response:
            return response.status, "" if response.status == 204 else (await response.json())[
                "error"
            ]

    forbidden = (403, "action-forbidden")
    for name in ("watch", "ctl", "viewer"):  # viewer: "all" on 100's permission, not the queue's
        for action in ("pause", "unpause"):
            assert await as_(name, "gina", action) == forbidden, name
    # the body (400) before the right; the right before the value (422)
    assert await as_("watch", "gina", body={"reason": "x" * 81}) == forbidden
    async with client.post(
        agent_path(pbx_world, "gina", "pause"),
        data=b"[",
        headers={**basic("watch", "watch-pw"), "Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
    assert await as_("linked", "gina") == forbidden
    assert pbx.action_count("QueuePause") == 0
    assert await as_("pauser", "gina") == (204, "")
    assert await as_("pauser", "gina", "unpause") == (204, "")
    assert await as_("linked", "alice", body={"reason": "mine"}) == (204, "")
    assert await as_("admin", "gina") == (204, "")
    interfaces = [h["Interface"] for h in sent(pbx)]
    assert interfaces == ["PJSIP/107", "PJSIP/107", "PJSIP/100", "PJSIP/107"]
    # an account that cannot view the queue is refused on the path, as for any read
    assert await as_("csonly", "alice") == (403, "forbidden")


async def test_a_non_member_is_asterisks_error(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    status, body = await post(client, agent_path(pbx_world, "gina", "pause"))
    assert (status, body["error"]) == (502, "ami-action-failed")
    assert body["details"]["amiMessage"] == "Interface not found"


async def test_pauses_take_from_the_action_allowance(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await start_bridge(ami=FAST_AMI, limits={"actions_per_minute": 1, "actions_burst": 3})
    await connected(client, pbx)
    statuses = [
        (await post(client, agent_path(pbx_world, action=a)))[0]
        for a in ("pause", "unpause", "pause", "unpause")
    ]
    assert statuses == [204, 204, 204, 429]
    # the rate before the value
    status, body = await post(client, agent_path(pbx_world, action="pause"), {"reason": "\n"})
    assert (status, body["error"]) == (429, "rate-limited")
    assert pbx.action_count("QueuePause") == 3


async def test_link_down_is_503_at_once(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    await pbx.stop()
    await eventually(lambda: _is_not_connected(client))
    async with asyncio.timeout(1.0):
        for action in ("pause", "unpause"):
            status, body = await post(client, agent_path(pbx_world, action=action))
            assert (status, body["error"]) == (503, "ami-unavailable")
    status, body = await post(client, agent_path(pbx_world, action="pause"), {"reason": "\x07"})
    assert (status, body["error"]) == (422, "reason-invalid")


async def test_pauses_are_audited(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    # the viewer views the queue and its agents, and pauses none
    pbx.add_queue_member("support", "PJSIP/107")
    client = await started(start_bridge, pbx)
    assert (await post(client, agent_path(pbx_world, action="pause"), {"reason": "lunch"}))[
        0
    ] == 204
    assert (await post(client, agent_path(pbx_world, action="pause"), {"reason": "\x00"}))[0] == 422
    assert (await post(client, agent_path(pbx_world, "gina", "unpause"), None, "viewer"))[0] == 403
    assert (await post(client, agent_path(pbx_world, "gina", "unpause")))[0] == 204
    await client.app[audit_key].flush()
    status, entries = await call(client, "GET", AUDIT)
    assert status == 200
    got = [
        (e["account"], e["extensionNumber"], e["action"], e["destination"], e["outcome"])
        for e in entries
    ]
    assert got == [
        ("admin", "107", "unpause", "support", "ok"),
        ("viewer", "107", "unpause", "support", "action-forbidden"),
        ("admin", "100", "pause", "support", "reason-invalid"),
        ("admin", "100", "pause", "support", "ok"),
    ]
    actions = [r.message["ActionID"] for r in pbx.actions("QueuePause")]
    assert [entries[0]["amiActionId"], entries[3]["amiActionId"]] == actions[::-1]
    assert entries[0]["extensionId"] == pbx_world.ext["107"]
