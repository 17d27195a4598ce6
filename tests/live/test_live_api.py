"""Live values through the API: DND read back, device states, call segments after an
originate, and a reconnect in the middle of a call restoring the same state."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from bridge.keys import live_key
from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import next_event, open_stream, started
from tests.api.test_extension_actions import connected, ext_path, post
from tests.conftest import StartBridge
from tests.support import call, poll_until
from tests.world import World


async def get(client: TestClient[Any, Any], path: str) -> Any:
    status, body = await call(client, "GET", path)
    assert status == 200, body
    return body


async def eventually(probe: Any) -> None:
    async with asyncio.timeout(5):
        await poll_until(probe)


async def test_dnd_is_read_back_from_astdb_and_follows_actions(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    pbx.astdb["/DND/101"] = "YES"
    pbx.astdb["/DND/108"] = "NO"  # anything but [dnd].value is "off"
    client = await started(start_bridge, pbx)
    body = await get(client, f"{ext_path(pbx_world).rsplit('/', 2)[0]}")
    dnd = {e["extensionNumber"]: e["dnd"] for e in body}
    assert dnd == {"100": False, "101": True, "107": False, "108": False}
    assert await post(client, f"{ext_path(pbx_world)}/enableDnd") == (204, b"")
    assert (await get(client, ext_path(pbx_world)))["dnd"] is True
    assert await post(client, f"{ext_path(pbx_world, '101')}/disableDnd") == (204, b"")
    assert (await get(client, ext_path(pbx_world, "101")))["dnd"] is False


async def test_dnd_set_from_the_phone_shows(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """What *76 on the phone does: the AstDB key (no event), then the BLF device state, whose
    event makes the bridge read the key."""
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    pbx.astdb["/DND/100"] = "YES"
    pbx.set_device_state("Custom:DND100", "BUSY")
    event = await next_event(ws, "extension.dnd")
    assert (event["extensionNumber"], event["dnd"]) == ("100", True)
    assert (await get(client, ext_path(pbx_world)))["dnd"] is True
    del pbx.astdb["/DND/100"]
    pbx.set_device_state("Custom:DND100", "NOT_INUSE")
    assert (await next_event(ws, "extension.dnd"))["dnd"] is False
    await ws.close()


async def test_values_are_unknown_while_the_link_is_down(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    pbx.astdb["/DND/100"] = "YES"
    client = await started(start_bridge, pbx)
    assert (await get(client, ext_path(pbx_world)))["dnd"] is True
    await pbx.stop()

    async def unknown() -> bool:
        body = await get(client, ext_path(pbx_world))
        return body["dnd"] is None and body["deviceState"] == "UNKNOWN"

    await eventually(unknown)
    assert await get(client, f"{ext_path(pbx_world)}/callSegments") == []
    await pbx.start()
    await connected(client, pbx, logins=2)

    async def known() -> bool:
        return (await get(client, ext_path(pbx_world)))["dnd"] is True

    await eventually(known)


async def test_originate_shows_a_segment_that_survives_a_reconnect(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    assert (await post(client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "4225"}))[
        0
    ] == 204
    start = await next_event(ws, "callSegment.start")
    assert start["extensionNumber"] == "100"
    segments_path = f"{ext_path(pbx_world)}/callSegments"

    async def answered() -> bool:
        segments = await get(client, segments_path)
        return len(segments) == 1 and segments[0]["state"] == "Up"

    await eventually(answered)
    [before] = await get(client, segments_path)
    assert before["id"] == start["segment"]["id"]
    assert before["channel"].startswith("PJSIP/100-")
    assert before["incoming"] is False and before["onHold"] is False
    assert list(before) == [
        "id",
        "type",
        "callerId",
        "did",
        "onHold",
        "recording",
        "incoming",
        "channel",
        "state",
        "startTime",
        "answerTime",
        "connectedLine",
    ]
    # the link drops mid-call; after the reconnect the sync restores the same segment
    pbx.drop_connections()
    await connected(client, pbx, logins=2)
    live = client.app[live_key].server(pbx_world.cs)
    await eventually(lambda: live.synced)
    [after] = await get(client, segments_path)
    assert (after["id"], after["channel"], after["state"]) == (
        before["id"],
        before["channel"],
        before["state"],
    )
    pbx.hangup()

    async def gone() -> bool:
        return bool(await get(client, segments_path) == [])

    await eventually(gone)
    assert len(live.channels) == 0
    await ws.close()


async def test_dnd_sync_falls_back_to_dbget_per_extension(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """An Asterisk without DBGetTree: one DBGet per extension of the core server."""
    pbx.fail(
        "DBGetTree",
        "Invalid/unknown command: DBGetTree. Use Action: ListCommands to show available commands.",
    )
    pbx.astdb["/DND/107"] = "YES"
    client = await started(start_bridge, pbx)
    assert (await get(client, ext_path(pbx_world, "107")))["dnd"] is True
    assert (await get(client, ext_path(pbx_world, "100")))["dnd"] is False
    asked = sorted(r.message["Key"] for r in pbx.actions("DBGet"))
    assert asked == sorted(["100", "101", "102", "103", "104", "105", "106", "107", "108"])


async def test_a_sync_that_times_out_is_tried_again_on_the_same_link(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """A PBX slow to list its devices (a big one, or a busy one) must not leave the live values
    unknown until the link drops: the sync is tried again, with back-off, while the link is up."""
    pbx.astdb["/DND/101"] = "YES"
    pbx.stall("DeviceStateList")
    client = await start_bridge(ami={"action_timeout": 0.3, "reconnect_min": 0.05})
    await connected(client, pbx)
    async with asyncio.timeout(5):
        await pbx.wait_for_action("DeviceStateList", count=2)  # the first timed out
    pbx.unstall("DeviceStateList")
    live = client.app[live_key]
    await eventually(lambda: all(s.synced for s in live if s.ami_status == "connected"))
    assert (await get(client, ext_path(pbx_world, "101")))["dnd"] is True
    assert pbx.login_attempts == 1  # on the same link, with no reconnect
