"""Realistic call flows played by the simulated PBX, seen through the bridge: call segments,
device states, agents, and what a WebSocket client receives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bridge.keys import live_key
from bridge.pbxsim import SimulatedPbx, phone_lab_config
from tests.api.test_event_stream import next_event, open_stream, started
from tests.api.test_extension_actions import connected, ext_path
from tests.conftest import StartBridge
from tests.live.test_live_api import eventually, get
from tests.world import World

PEOPLE = {"100": "Alice", "101": "Bob", "107": "Gina", "108": "Alice Desk"}


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    """A FreePBX-like PBX whose phones are the world's extensions (caller ids, queue)."""
    config = phone_lab_config(PEOPLE, queues={"support": []})
    async with SimulatedPbx(login_failure_delay=0.01, call_duration=None, config=config) as sim:
        yield sim


async def segments(client: TestClient[Any, Any], world: World, number: str) -> list[Any]:
    return list(await get(client, f"{ext_path(world, number)}/callSegments"))


def holds(client: TestClient[Any, Any], world: World, number: str, probe: Any) -> Any:
    async def check() -> bool:
        return bool(probe(await segments(client, world, number)))

    return check


async def state_of(client: TestClient[Any, Any], world: World, number: str) -> str:
    return str((await get(client, ext_path(world, number)))["deviceState"])


async def test_internal_call(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    call = pbx.place_call("PJSIP/100", "101", to_device="PJSIP/101", answer=False)
    await eventually(holds(client, pbx_world, "101", lambda s: s and s[0]["state"] == "Ringing"))
    [caller] = await segments(client, pbx_world, "100")
    [callee] = await segments(client, pbx_world, "101")
    assert (caller["incoming"], callee["incoming"]) == (False, True)
    assert caller["type"] == callee["type"] == "INTERNAL"
    assert callee["callerId"] == {
        "id": pbx_world.ext["100"],
        "name": "Alice",  # the caller's CALLERID(name) on the phone
        "number": "100",
    }
    assert caller["callerId"]["id"] == pbx_world.ext["101"]
    assert callee["answerTime"] is None and callee["did"] is None
    assert await state_of(client, pbx_world, "101") == "RINGING"
    pbx.answer(call)
    await eventually(holds(client, pbx_world, "101", lambda s: s and s[0]["state"] == "Up"))
    [callee] = await segments(client, pbx_world, "101")
    assert callee["answerTime"] is not None
    assert await state_of(client, pbx_world, "100") == "INUSE"
    pbx.hangup_call(call)
    await eventually(holds(client, pbx_world, "100", lambda s: s == []))
    await eventually(holds(client, pbx_world, "101", lambda s: s == []))
    assert await state_of(client, pbx_world, "101") == "NOT_INUSE"
    # what a WebSocket client saw: each leg started and ended, for the right extension
    seen: dict[str, set[str]] = {}
    async with asyncio.timeout(5):
        while len(seen.get("callSegment.end", ())) < 2:
            event = await ws.receive_json()
            if event["type"].startswith("callSegment."):
                seen.setdefault(event["type"], set()).add(event["extensionNumber"])
    assert seen["callSegment.start"] == seen["callSegment.end"] == {"100", "101"}
    await ws.close()


async def test_inbound_call_from_a_trunk_with_a_did(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    call = pbx.inbound_call("+15551234567", "18005550100", "PJSIP/100", caller_name="ACME Corp")
    await eventually(holds(client, pbx_world, "100", lambda s: s and s[0]["state"] == "Up"))
    [segment] = await segments(client, pbx_world, "100")
    assert segment["incoming"] is True
    assert segment["type"] == "EXTERNAL"
    assert segment["did"] == "18005550100"
    assert segment["callerId"] == {"id": None, "name": "ACME Corp", "number": "+15551234567"}
    assert segment["connectedLine"] == {"name": "ACME Corp", "number": "+15551234567"}
    pbx.hangup_call(call)
    await eventually(holds(client, pbx_world, "100", lambda s: s == []))


async def test_hold_and_recording(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    call = pbx.inbound_call("+15550001111", "18005550100", "PJSIP/100")
    await eventually(holds(client, pbx_world, "100", lambda s: s and s[0]["state"] == "Up"))
    phone = next(c for c in call.channels if c.device == "PJSIP/100")
    pbx.hold(phone)
    await eventually(holds(client, pbx_world, "100", lambda s: s[0]["onHold"] is True))
    pbx.unhold(phone)
    await eventually(holds(client, pbx_world, "100", lambda s: s[0]["onHold"] is False))
    pbx.start_recording(phone)
    await eventually(holds(client, pbx_world, "100", lambda s: s[0]["recording"] is True))
    pbx.stop_recording(phone)
    await eventually(holds(client, pbx_world, "100", lambda s: s[0]["recording"] is False))
    pbx.hangup_call(call)
    await eventually(holds(client, pbx_world, "100", lambda s: s == []))


async def test_blind_transfer(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    call = pbx.inbound_call("+15550002222", "18005550100", "PJSIP/100", caller_name="Caller")
    await eventually(holds(client, pbx_world, "100", lambda s: s and s[0]["state"] == "Up"))
    phone = next(c for c in call.channels if c.device == "PJSIP/100")
    transferred = pbx.blind_transfer(call, "107", by=phone, to_device="PJSIP/107")
    await eventually(holds(client, pbx_world, "100", lambda s: s == []))
    await eventually(holds(client, pbx_world, "107", lambda s: s and s[0]["state"] == "Up"))
    [segment] = await segments(client, pbx_world, "107")
    assert segment["incoming"] is True
    assert segment["callerId"]["number"] == "+15550002222"
    pbx.hangup_call(transferred)
    await eventually(holds(client, pbx_world, "107", lambda s: s == []))


async def test_queue_call_answered_by_an_agent(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    pbx.add_queue_member("support", "PJSIP/100", name="Alice")
    await next_event(ws, "agent.state")
    call = pbx.queue_call("+15550003333", "support", "PJSIP/100", did="18005550199")
    await eventually(holds(client, pbx_world, "100", lambda s: s and s[0]["state"] == "Up"))
    [segment] = await segments(client, pbx_world, "100")
    assert segment["incoming"] is True and segment["callerId"]["number"] == "+15550003333"
    agent_path = (
        f"{ext_path(pbx_world).rsplit('/extensions/', 1)[0]}/queues/getByName/support"
        f"/agents/{pbx_world.agents['alice']}"
    )

    async def busy() -> bool:
        agent = await get(client, agent_path)
        return bool(agent["state"] in ("INUSE", "BUSY") and agent["paused"] is False)

    await eventually(busy)
    pbx.hangup_call(call)
    await eventually(holds(client, pbx_world, "100", lambda s: s == []))

    async def idle() -> bool:
        return bool((await get(client, agent_path))["state"] == "NOT_INUSE")

    await eventually(idle)
    await ws.close()


async def test_dnd_from_the_phone_feature_code(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    pbx.dnd_feature_code("101", True)

    async def on() -> bool:
        return bool((await get(client, ext_path(pbx_world, "101")))["dnd"] is True)

    await eventually(on)
    pbx.dnd_feature_code("101", False)

    async def off() -> bool:
        return bool((await get(client, ext_path(pbx_world, "101")))["dnd"] is False)

    await eventually(off)


async def test_a_reconnect_mid_call_restores_the_same_state(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    internal = pbx.place_call("PJSIP/100", "101", to_device="PJSIP/101")
    inbound = pbx.inbound_call("+15550004444", "18005550100", "PJSIP/108", caller_name="X")
    await eventually(holds(client, pbx_world, "108", lambda s: s and s[0]["state"] == "Up"))
    await eventually(holds(client, pbx_world, "101", lambda s: s and s[0]["state"] == "Up"))
    pbx.dnd_feature_code("107", True)
    numbers = ("100", "101", "107", "108")

    async def picture() -> dict[str, Any]:
        return {
            n: (await get(client, ext_path(pbx_world, n)), await segments(client, pbx_world, n))
            for n in numbers
        }

    await eventually(lambda: _dnd_known(client, pbx_world))
    before = await picture()
    pbx.drop_connections()
    await connected(client, pbx, logins=2)
    live = client.app[live_key].server(pbx_world.cs)
    await eventually(lambda: live.synced)
    after = await picture()
    assert after == before
    pbx.hangup_call(internal)
    pbx.hangup_call(inbound)
    for n in numbers:
        await eventually(holds(client, pbx_world, n, lambda s: s == []))
    assert len(live.channels) == 0


async def _dnd_known(client: TestClient[Any, Any], world: World) -> bool:
    return bool((await get(client, ext_path(world, "107")))["dnd"] is True)
