"""The WebSocket event stream: auth, visibility, filters, and slow clients dropped."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bridge.pbxsim import SimulatedPbx
from tests.api.test_extension_actions import connected
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.support import basic, poll_until
from tests.world import PASSWORDS, World

WS = "/communication_manager/ws/event"


async def open_stream(
    client: TestClient[Any, Any], account: str = "admin"
) -> aiohttp.ClientWebSocketResponse:
    ws = await client.ws_connect(WS, headers=basic(account, PASSWORDS[account]))
    assert json.loads((await ws.receive(timeout=5)).data) == {"type": "ready"}
    return ws


async def next_event(ws: aiohttp.ClientWebSocketResponse, wanted: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            message = await ws.receive()
            assert message.type is aiohttp.WSMsgType.TEXT, message
            event = json.loads(message.data)
            if event["type"] == wanted:
                return event  # type: ignore[no-any-return]


def device_state(device: str, state: str) -> list[tuple[str, str]]:
    return [
        ("Event", "DeviceStateChange"),
        ("Privilege", "call,all"),
        ("Device", device),
        ("State", state),
    ]


async def started(
    start_bridge: StartBridge, pbx: SimulatedPbx, **sections: Any
) -> TestClient[Any, Any]:
    client = await start_bridge(ami=FAST_AMI, **sections)
    await connected(client, pbx)
    await synced(client)
    return client


async def synced(client: TestClient[Any, Any]) -> None:
    from bridge.keys import live_key
    from tests.support import poll_until

    live = client.app[live_key]
    async with asyncio.timeout(5):
        await poll_until(lambda: any(s.synced for s in live))


async def test_credentials_are_required(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await start_bridge(ami=FAST_AMI)
    for headers in ({}, basic("admin", "wrong")):
        async with client.get(WS, headers=headers) as response:
            assert response.status == 401
            assert (await response.json())["error"] == "unauthenticated"


async def test_device_state_events_by_visibility(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    admin, viewer = await open_stream(client), await open_stream(client, "viewer")
    pbx.push_event(device_state("PJSIP/107", "INUSE"))  # gina: the viewer may not see 107
    pbx.push_event(device_state("PJSIP/100", "RINGING"))
    first = await next_event(admin, "extension.state")
    assert (first["extensionNumber"], first["deviceState"]) == ("107", "INUSE")
    assert first["coreServerId"] == pbx_world.cs and first["extensionId"] == pbx_world.ext["107"]
    assert first["time"].endswith("Z")
    seen = await next_event(viewer, "extension.state")
    assert (seen["extensionNumber"], seen["deviceState"]) == ("100", "RINGING")
    # an unlicensed extension's device (carol, 102) produces nothing for anyone
    pbx.push_event(device_state("PJSIP/102", "INUSE"))
    pbx.push_event(device_state("PJSIP/101", "BUSY"))
    assert (await next_event(admin, "extension.state"))["extensionNumber"] == "100"
    assert (await next_event(admin, "extension.state"))["extensionNumber"] == "101"
    for ws in (admin, viewer):
        await ws.close()


async def test_filters(pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    await ws.send_json(
        {
            "type": "filter",
            "filters": [
                {"property": "extensionId", "value": pbx_world.ext["101"]},
                {"property": "extensionId", "value": pbx_world.ext["108"]},
                {"property": "type", "value": "extension.state"},
            ],
        }
    )
    assert (await next_event(ws, "filter"))["filters"][0]["property"] == "extensionId"
    for device in ("PJSIP/100", "PJSIP/101", "PJSIP/107", "PJSIP/108"):
        pbx.push_event(device_state(device, "INUSE"))
    numbers = [(await next_event(ws, "extension.state"))["extensionNumber"] for _ in range(2)]
    assert numbers == ["101", "108"]
    for bad in (
        "nope",
        "[]",
        '{"type": "filter"}',
        '{"type": "filter", "filters": [{"property": "password", "value": "x"}]}',
        '{"type": "filter", "filters": [{"property": "type", "value": 1}]}',
    ):
        await ws.send_str(bad)
        assert (await next_event(ws, "error"))["error"] in (
            "invalid-json",
            "unknown-message",
            "invalid-filter",
        )
    await ws.send_json({"type": "filter", "filters": []})  # everything again
    await next_event(ws, "filter")
    pbx.push_event(device_state("PJSIP/100", "NOT_INUSE"))
    assert (await next_event(ws, "extension.state"))["extensionNumber"] == "100"
    await ws.close()


async def test_ami_status_events(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    # only this core server's: the world's "branch" keeps trying its closed AMI port
    await ws.send_json(
        {"type": "filter", "filters": [{"property": "coreServerId", "value": pbx_world.cs}]}
    )
    await next_event(ws, "filter")
    pbx.drop_connections()
    event = await next_event(ws, "coreServer.amiStatus")
    assert (event["coreServerId"], event["amiStatus"]) == (pbx_world.cs, "disconnected")
    assert event["amiStatusReason"] == "connection lost"
    events: list[dict[str, Any]] = []
    while not events or events[-1]["amiStatus"] != "connected":  # it may take more than one try
        events.append(await next_event(ws, "coreServer.amiStatus"))
    assert "connecting" in [e["amiStatus"] for e in events]
    assert events[-1]["amiStatusReason"] is None
    await next_event(ws, "coreServer.synced")
    await ws.close()


async def test_a_slow_client_is_dropped_and_others_go_on(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx, events={"queue_size": 10})
    slow, fast = await open_stream(client), await open_stream(client)
    from bridge.keys import hub_key

    hub = client.app[hub_key]
    assert len(hub) == 2
    states = ("INUSE", "NOT_INUSE")
    received = 0
    async with asyncio.timeout(20):
        # the slow client never reads: once the socket buffers and its queue are full, it goes
        while len(hub) == 2:
            for n in range(6):  # a burst of changes (each unlike the one before it; fewer than
                # the queue holds) ...
                pbx.push_event(device_state("PJSIP/100", states[n % 2]))
            for _ in range(6):  # ... that the fast one keeps up with
                await next_event(fast, "extension.state")
                received += 1
    assert len(hub) == 1
    async with asyncio.timeout(10):
        async for _ in slow:  # what was sent before the drop, then the close frame
            pass
    assert slow.close_code == 4008
    pbx.push_event(device_state("PJSIP/100", "BUSY"))
    assert (await next_event(fast, "extension.state"))["extensionNumber"] == "100"
    await fast.close()


async def test_a_disabled_account_is_cut_off(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge, seed: Any
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client, "viewer")
    await seed.sql("UPDATE accounts SET enabled = FALSE WHERE username = 'viewer'")
    async with asyncio.timeout(5):
        message = await ws.receive()
        while message.type is aiohttp.WSMsgType.TEXT:
            message = await ws.receive()
    assert message.type is aiohttp.WSMsgType.CLOSE and message.data == 4001


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_no_subscriber_is_left_behind(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    from bridge.keys import hub_key

    client = await started(start_bridge, pbx)
    for _ in range(20):
        ws = await open_stream(client)
        await ws.close()
    async with asyncio.timeout(5):
        await poll_until(lambda: len(client.app[hub_key]) == 0)
