"""originate, enableDnd and disableDnd through the real app, a real socket and the simulated PBX."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bridge.keys import actions_key
from bridge.pbxsim import SimulatedPbx
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.support import P, Seed, basic, call, poll_until
from tests.world import World


async def ami_status(client: TestClient[Any, Any]) -> str:
    return str((await call(client, "GET", f"{P}/coreServers/getByName/default"))[1]["amiStatus"])


async def connected(client: TestClient[Any, Any], pbx: SimulatedPbx, logins: int = 1) -> None:
    async with asyncio.timeout(5):
        await pbx.wait_for_logins(logins)
        await poll_until(lambda: _is(ami_status(client), "connected"))


async def _is_not_connected(client: TestClient[Any, Any]) -> bool:
    return await ami_status(client) != "connected"


async def _is(value: Any, expected: str) -> bool:
    return bool(await value == expected)


async def started(start_bridge: StartBridge, pbx: SimulatedPbx, **ami: Any) -> TestClient[Any, Any]:
    client = await start_bridge(ami={**FAST_AMI, **ami})
    await connected(client, pbx)
    return client


def ext_path(world: World, number: str = "100") -> str:
    return f"{P}/coreServers/{world.cs}/extensions/getByName/{number}"


async def test_originate_sends_exactly_the_contract_headers(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    status, _ = await post(
        client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "+1 (800) 555-5555"}
    )
    assert status == 204
    record = pbx.actions("Originate")[0]
    headers = dict(record.message.headers)
    action_id = headers.pop("ActionID")
    assert action_id.startswith("bridge-")
    assert headers == {
        "Action": "Originate",
        "Channel": "PJSIP/100",
        "Context": "from-internal",
        "Exten": "+18005555555",
        "Priority": "1",
        "CallerID": '"Alice" <100>',
        "Timeout": "30000",
        "Async": "true",
    }
    assert len(record.message.headers) == 9


async def post(
    client: TestClient[Any, Any], path: str, body: Any = None, account: str = "admin", **kwargs: Any
) -> tuple[int, Any]:
    from tests.world import PASSWORDS

    headers = basic(account, PASSWORDS[account])
    async with client.post(path, json=body, headers=headers, **kwargs) as response:
        if response.status == 204:
            return 204, await response.read()
        assert response.content_type == "application/json"
        return response.status, await response.json()


async def test_originate_outcome_is_tracked_and_logged(
    pbx_world: World,
    pbx: SimulatedPbx,
    start_bridge: StartBridge,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await started(start_bridge, pbx)
    pbx.originate.failing_channels.add("PJSIP/101")
    with caplog.at_level(logging.INFO, logger="bridge.actions"):
        assert (
            await post(client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "4225"})
        )[0] == 204
        assert (
            await post(
                client, f"{ext_path(pbx_world, '101')}/originate", {"destinationNumber": "4225"}
            )
        )[0] == 204
        tracker = client.app[actions_key].originates
        async with asyncio.timeout(5):
            await poll_until(lambda: len(tracker) == 0)
    lines = [r.getMessage() for r in caplog.records if r.name == "bridge.actions"]
    assert any("100 -> 4225" in line and "answered" in line for line in lines), lines
    assert any("101 -> 4225" in line and "failed: unreachable" in line for line in lines), lines


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "destination-missing"),
        (None, "destination-missing"),
        ({"destinationNumber": None}, "destination-missing"),
        ({"destinationNumber": 18005555555}, "destination-invalid"),
        ({"destinationNumber": ["1"]}, "destination-invalid"),
        ({"destinationNumber": ""}, "destination-missing"),
        ({"destinationNumber": " - . ( ) "}, "destination-missing"),
        (
            {"destinationNumber": "123\r\nAction: Hangup\r\nChannel: PJSIP/200"},
            "destination-invalid",
        ),
        ({"destinationNumber": "123\nX: y"}, "destination-invalid"),
        ({"destinationNumber": "123\u0000"}, "destination-invalid"),
        ({"destinationNumber": "12;34"}, "destination-invalid"),
        ({"destinationNumber": "1@evil"}, "destination-invalid"),
        ({"destinationNumber": "1" * 65}, "destination-invalid"),
        ({"destinationNumber": "١٢٣"}, "destination-invalid"),
        ({"destinationNumber": "${SHELL(rm -rf /)}"}, "destination-invalid"),
    ],
)
async def test_bad_destinations_never_reach_asterisk(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge, body: Any, error: str
) -> None:
    client = await started(start_bridge, pbx)
    status, answer = await post(client, f"{ext_path(pbx_world)}/originate", body)
    assert (status, answer["error"]) == (422, error)
    await dnd_round_trip(client, pbx_world)  # the link is fine, and saw no Originate
    assert pbx.action_count("Originate") == 0
    assert all(b"Hangup" not in r.raw and b"SHELL" not in r.raw for r in pbx.actions())


async def dnd_round_trip(client: TestClient[Any, Any], world: World) -> None:
    assert (await post(client, f"{ext_path(world)}/enableDnd"))[0] == 204


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        (b"{", 400, "invalid-json"),
        (b"[1]", 400, "invalid-body"),
        (b'"18005555555"', 400, "invalid-body"),
        (b"\xff\xfe", 400, "invalid-json"),
        (b"[" * 100000, 413, "payload-too-large"),
    ],
)
async def test_bad_bodies(
    pbx_world: World,
    pbx: SimulatedPbx,
    start_bridge: StartBridge,
    data: bytes,
    status: int,
    error: str,
) -> None:
    client = await started(start_bridge, pbx)
    headers = {**basic("admin", "admin-pw"), "Content-Type": "application/json"}
    for action in ("originate", "enableDnd"):
        async with client.post(
            f"{ext_path(pbx_world)}/{action}", data=data, headers=headers
        ) as response:
            assert response.status == status
            assert (await response.json())["error"] == error
    assert pbx.action_count("Originate") == pbx.action_count("DBPut") == 0


async def test_rights_to_act(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    from bridge import models

    permission = await seed.permission_of(models.Extension, pbx_world.ext["107"])
    cs_permission = await seed.permission_of(models.CoreServer, pbx_world.cs)
    watcher = await seed.account("watcher", "watcher-pw")
    dialer = await seed.account("dialer", "dialer-pw")
    for account in (watcher, dialer):
        await seed.grant(account, cs_permission, "view")
        await seed.grant(account, permission, "view")
    await seed.grant(dialer, permission, "originate")
    client = await started(start_bridge, pbx)
    dest = {"destinationNumber": "200"}
    gina = ext_path(pbx_world, "107")

    async def as_(account: str, password: str, action: str, body: Any = None) -> int:
        async with client.post(
            f"{gina}/{action}", json=body, headers=basic(account, password)
        ) as response:
            if response.status != 204:
                assert (await response.json())["error"] == "action-forbidden"
            return response.status

    # a grant to view is not a right to act; originate and dnd rights are separate
    assert await as_("watcher", "watcher-pw", "originate", dest) == 403
    assert await as_("watcher", "watcher-pw", "enableDnd") == 403
    assert await as_("dialer", "dialer-pw", "originate", dest) == 204
    assert await as_("dialer", "dialer-pw", "enableDnd") == 403
    # the right comes after the body: a bad body is 400 even without the right
    async with client.post(
        f"{gina}/originate",
        data=b"{",
        headers={**basic("watcher", "watcher-pw"), "Content-Type": "application/json"},
    ) as r:
        assert r.status == 400
    # and the value after the right: no right, bad number -> 403
    assert await as_("watcher", "watcher-pw", "originate", {"destinationNumber": "x;y"}) == 403
    # a linked user acts on its own extensions only
    assert (await post(client, f"{ext_path(pbx_world, '100')}/enableDnd", account="linked"))[
        0
    ] == 204
    assert (await post(client, f"{ext_path(pbx_world, '101')}/enableDnd", account="linked"))[
        0
    ] == 403
    # the viewer holds "all" on 100 and 101
    assert (await post(client, f"{ext_path(pbx_world, '101')}/originate", dest, "viewer"))[0] == 204
    assert pbx.action_count("Originate") == 2


async def test_unlicensed_extensions_cannot_act(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    for number in ("102", "103", "105"):
        status, body = await post(
            client, f"{ext_path(pbx_world, number)}/originate", {"destinationNumber": "1"}
        )
        assert (status, body["error"]) == (403, "extension-not-licensed")
    assert (
        await post(client, f"{P}/coreServers/{pbx_world.cs}/extensions/getByName/999/enableDnd")
    )[0] == 404
    async with client.get(
        f"{ext_path(pbx_world)}/originate", headers=basic("admin", "admin-pw")
    ) as r:
        assert (r.status, r.headers["Allow"]) == (405, "POST")
    assert pbx.action_count("Originate") == 0


async def test_dnd_enable_disable_is_idempotent(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ext = ext_path(pbx_world)
    for _ in range(2):
        assert (await post(client, f"{ext}/enableDnd"))[0] == 204
        assert pbx.astdb["/DND/100"] == "YES"
        assert pbx.device_states["Custom:DND100"] == "BUSY"
    for _ in range(2):  # the second DBDel finds no key: Asterisk says Error, the API says 204
        assert (await post(client, f"{ext}/disableDnd"))[0] == 204
        assert "/DND/100" not in pbx.astdb
        assert pbx.device_states["Custom:DND100"] == "NOT_INUSE"
    puts = [dict(r.message.headers) for r in pbx.actions("DBPut")]
    assert [{k: v for k, v in h.items() if k != "ActionID"} for h in puts] == [
        {"Action": "DBPut", "Family": "DND", "Key": "100", "Val": "YES"}
    ] * 2
    dels = [dict(r.message.headers) for r in pbx.actions("DBDel")]
    assert [{k: v for k, v in h.items() if k != "ActionID"} for h in dels] == [
        {"Action": "DBDel", "Family": "DND", "Key": "100"}
    ] * 2
    setvars = [
        {k: v for k, v in r.message.headers if k != "ActionID"} for r in pbx.actions("Setvar")
    ]
    assert (
        setvars
        == [{"Action": "Setvar", "Variable": "DEVICE_STATE(Custom:DND100)", "Value": "BUSY"}] * 2
        + [{"Action": "Setvar", "Variable": "DEVICE_STATE(Custom:DND100)", "Value": "NOT_INUSE"}]
        * 2
    )


async def test_configured_dnd_family_and_states(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await start_bridge(
        ami=FAST_AMI, dnd={"family": "DoNotDisturb", "value": "1", "device_state_on": "INUSE"}
    )
    await connected(client, pbx)
    assert (await post(client, f"{ext_path(pbx_world)}/enableDnd"))[0] == 204
    assert pbx.astdb["/DoNotDisturb/100"] == "1"
    assert pbx.device_states["Custom:DND100"] == "INUSE"


async def test_a_failed_device_state_write_keeps_the_204_and_is_retried(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    pbx.fail("Setvar", "Simulated failure", times=1)
    assert (await post(client, f"{ext_path(pbx_world)}/enableDnd"))[0] == 204
    async with asyncio.timeout(5):
        await pbx.wait_until(lambda: pbx.device_states.get("Custom:DND100") == "BUSY")
    assert pbx.action_count("Setvar") == 2


async def test_asterisk_errors_are_502(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    pbx.fail("DBPut", "Failed to update entry")
    status, body = await post(client, f"{ext_path(pbx_world)}/enableDnd")
    assert (status, body["error"]) == (502, "ami-action-failed")
    assert body["details"]["amiMessage"] == "Failed to update entry"
    assert pbx.action_count("Setvar") == 0  # AstDB decides; no BLF change after a failure
    pbx.fail("Originate", "Originate failed")
    status, body = await post(
        client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "1"}
    )
    assert (status, body["error"]) == (502, "ami-action-failed")


async def test_stalled_action_is_504(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    pbx.stall("DBPut")
    status, body = await post(client, f"{ext_path(pbx_world)}/enableDnd")
    assert (status, body["error"]) == (504, "ami-timeout")
    pbx.unstall("DBPut")
    # the late answer is dropped, and the link goes on working
    assert (await post(client, f"{ext_path(pbx_world)}/disableDnd"))[0] == 204


async def test_link_down_is_503_at_once(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    await pbx.stop()
    async with asyncio.timeout(5):
        await poll_until(lambda: _is_not_connected(client))
    async with asyncio.timeout(1.0):  # the contract: fails fast, never hangs
        for action, body in (("originate", {"destinationNumber": "1"}), ("enableDnd", None)):
            status, answer = await post(client, f"{ext_path(pbx_world)}/{action}", body)
            assert (status, answer["error"]) == (503, "ami-unavailable")
            assert answer["details"]["amiStatus"] in ("connecting", "disconnected")
    await pbx.start()
    await connected(client, pbx, logins=2)
    assert (await post(client, f"{ext_path(pbx_world)}/enableDnd"))[0] == 204


async def test_link_dropped_mid_action_fails_cleanly_and_never_resends(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    pbx.stall("Originate")
    request = asyncio.create_task(
        post(client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "18005555555"})
    )
    async with asyncio.timeout(5):
        await pbx.wait_for_action("Originate")
    pbx.drop_connections()
    status, body = await request
    assert (status, body["error"]) == (503, "ami-disconnected")
    pbx.unstall("Originate")
    await connected(client, pbx, logins=2)  # the link comes back by itself
    assert (await post(client, f"{ext_path(pbx_world)}/enableDnd"))[0] == 204
    assert pbx.action_count("Originate") == 1  # nothing was sent twice


async def test_header_injection_from_the_directory_is_refused(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    await seed.sql(
        "UPDATE extensions SET display_name = :name, channel = NULL WHERE id = :id",
        name='Evil"\r\nAction: Hangup <x>',
        id=pbx_world.ext["100"],
    )
    await seed.sql(
        "UPDATE extensions SET channel = :channel WHERE id = :id",
        channel="PJSIP/101\r\nAction: Hangup",
        id=pbx_world.ext["101"],
    )
    client = await started(start_bridge, pbx)
    assert (await post(client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "1"}))[
        0
    ] == 204
    caller = pbx.actions("Originate")[0].message["CallerID"]
    assert caller == '"EvilAction: Hangup x" <100>'
    status, body = await post(
        client, f"{ext_path(pbx_world, '101')}/originate", {"destinationNumber": "1"}
    )
    assert (status, body["error"]) == (422, "invalid-ami-header")
    assert pbx.action_count("Originate") == 1
    assert pbx.action_count("Hangup") == 0


async def test_utf8_names_reach_asterisk_intact(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    await seed.sql(
        "UPDATE extensions SET display_name = 'Zoë Ünal 日本' WHERE id = :id",
        id=pbx_world.ext["100"],
    )
    client = await started(start_bridge, pbx)
    assert (await post(client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "1"}))[
        0
    ] == 204
    record = pbx.actions("Originate")[0]
    assert '"Zoë Ünal 日本" <100>'.encode() in record.raw


async def test_an_originate_refused_for_a_down_link_is_not_logged_as_sent(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge, caplog: pytest.LogCaptureFixture
) -> None:
    client = await started(start_bridge, pbx)
    pbx.refuse_logins = True
    pbx.drop_connections()
    async with asyncio.timeout(5):
        await poll_until(lambda: _is_not_connected(client))
    with caplog.at_level(logging.INFO, logger="bridge.actions"):
        status, body = await post(
            client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "200"}
        )
    assert (status, body["error"]) == (503, "ami-unavailable")
    assert not [r for r in caplog.records if r.getMessage().startswith("originate ")]
