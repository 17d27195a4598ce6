"""DND is the AstDB key's, never the ``Custom:DND<n>`` device state's: the device state only makes
the bridge read the key again (DBGet), and the whole family is read again every
``[dnd] refresh_interval`` for writes that raise no event. Played with the events a real
Asterisk 22 sent for the ``*76`` / ``*77`` feature codes (``pjsip/dnd_feature_code``)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import next_event, open_stream, started
from tests.conftest import StartBridge
from tests.live.test_live_api import get
from tests.replays import PjsipWorld, captured_events
from tests.support import P


def feature_code_calls() -> tuple[list[bytes], list[bytes]]:
    """The capture's events of the ``*76`` call and of the ``*77`` call (the second starts at
    the second ``Newchannel``)."""
    events = captured_events("pjsip/dnd_feature_code")
    starts = [i for i, raw in enumerate(events) if raw.startswith(b"Event: Newchannel\r\n")]
    assert len(starts) == 2, starts
    return events[: starts[1]], events[starts[1] :]


def extension(world: PjsipWorld, number: str) -> str:
    return f"{P}/coreServers/{world.cs}/extensions/getByName/{number}"


async def dnd_of(client: TestClient[Any, Any], world: PjsipWorld, number: str) -> Any:
    return (await get(client, extension(world, number)))["dnd"]


async def played(
    pbx: SimulatedPbx, ws: aiohttp.ClientWebSocketResponse, events: list[bytes]
) -> None:
    """Replay ``events`` (one feature-code call of 4226) and wait until the bridge has taken
    them all in: the call's segment has ended on the stream."""
    await pbx.blast(events)
    while True:
        event = await next_event(ws, "callSegment.end")
        if event["extensionNumber"] == "4226":
            return


async def test_a_feature_code_device_state_without_the_key_is_not_dnd(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """Custom:DND4226 BUSY, but no AstDB key: DND is off (the device state never decides)."""
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    dnd_on, _ = feature_code_calls()
    await played(pbx, ws, dnd_on)
    assert await dnd_of(client, pjsip_world, "4226") is False
    async with asyncio.timeout(5):
        record = await pbx.wait_for_action("DBGet")
    assert (record.message["Family"], record.message["Key"]) == ("DND", "4226")
    assert await dnd_of(client, pjsip_world, "4226") is False
    await ws.close()


async def test_the_feature_codes_show_what_the_key_says(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    dnd_on, dnd_off = feature_code_calls()
    pbx.astdb["/DND/4226"] = "YES"  # what *76's Set(DB(DND/4226)=YES) wrote in the lab
    await pbx.blast(dnd_on)
    event = await next_event(ws, "extension.dnd")
    assert (event["extensionNumber"], event["dnd"]) == ("4226", True)
    assert await dnd_of(client, pjsip_world, "4226") is True
    # *76 once more: the key reads the same, so no extension.dnd
    await played(pbx, ws, dnd_on)
    async with asyncio.timeout(5):
        await pbx.wait_for_action("DBGet", count=2)
    del pbx.astdb["/DND/4226"]  # *77's DB_DELETE(DND/4226)
    await pbx.blast(dnd_off)
    event = await next_event(ws, "extension.dnd")  # the first since the one above
    assert (event["extensionNumber"], event["dnd"]) == ("4226", False)
    assert await dnd_of(client, pjsip_world, "4226") is False
    await ws.close()


async def test_the_key_decides_on_sync_whatever_the_device_state(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    pbx.astdb["/DND/4224"] = "YES"
    pbx.set_device_state("Custom:DND4224", "NOT_INUSE")  # listed by DeviceStateList
    pbx.set_device_state("Custom:DND4225", "BUSY")  # no key
    client = await started(start_bridge, pbx)
    assert await dnd_of(client, pjsip_world, "4224") is True
    assert await dnd_of(client, pjsip_world, "4225") is False
    assert await dnd_of(client, pjsip_world, "4226") is False


async def test_a_key_written_by_another_program_shows_after_the_refresh(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """``DBPut DND/4224 YES`` from another AMI client raises no event: the family is read again
    every ``[dnd] refresh_interval`` and the change goes to stream clients."""
    client = await started(start_bridge, pbx, dnd={"refresh_interval": 0.05})
    ws = await open_stream(client)
    assert await dnd_of(client, pjsip_world, "4224") is False
    pbx.astdb["/DND/4224"] = "YES"
    event = await next_event(ws, "extension.dnd")
    assert (event["extensionNumber"], event["dnd"]) == ("4224", True)
    assert await dnd_of(client, pjsip_world, "4224") is True
    del pbx.astdb["/DND/4224"]
    event = await next_event(ws, "extension.dnd")
    assert (event["extensionNumber"], event["dnd"]) == ("4224", False)
    assert pbx.action_count("DBGetTree") >= 3  # the sync's, then two refreshes at least
    await ws.close()
