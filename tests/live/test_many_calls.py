"""100,000 calls through the simulated PBX leave nothing behind: no channel, segment, bridge,
device index entry or event-stream subscriber (counted)."""

from __future__ import annotations

import asyncio
import json

import pytest

from bridge.keys import hub_key, links_key, live_key
from bridge.pbxsim import SimulatedPbx, realistic_event_stream
from tests.api.test_event_stream import next_event, open_stream, started
from tests.api.test_extension_actions import ext_path
from tests.conftest import StartBridge
from tests.live.test_live_api import get
from tests.support import poll_until
from tests.world import World

CALLS = 100_000
# Mostly phones the directory does not know, and the world's licensed extensions now and then.
PHONES = [str(n) for n in range(2000, 2050)] + ["100", "101", "107", "108"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_hundred_thousand_calls_leave_nothing_behind(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    # Here the stream's clients share one event loop with the bridge being flooded: room for
    # them to lag (dropping slow clients is tested in tests/api/test_event_stream.py).
    client = await started(start_bridge, pbx, events={"queue_size": 1_000_000})
    live = client.app[live_key].server(pbx_world.cs)
    hub = client.app[hub_key]
    quiet = await open_stream(client)  # subscribed, but asking for (almost) nothing
    await quiet.send_json(
        {"type": "filter", "filters": [{"property": "type", "value": "coreServer.amiStatus"}]}
    )
    await next_event(quiet, "filter")
    watcher = await open_stream(client)  # everything about extension 100, read as it comes
    await watcher.send_json(
        {"type": "filter", "filters": [{"property": "extensionNumber", "value": "100"}]}
    )
    await next_event(watcher, "filter")
    phases: dict[str, list[str]] = {}  # segment id -> its events' phases, in order

    async def read() -> None:
        async for message in watcher:
            event = json.loads(message.data)
            if event["type"].startswith("callSegment."):
                phase = event["type"].split(".")[1]
                phases.setdefault(event["segment"]["id"], []).append(phase)

    def all_ended() -> bool:
        return bool(phases) and all(seen[-1] == "end" for seen in phases.values())

    async def drain() -> None:  # reading answers the server's heartbeat pings
        async for _ in quiet:
            pass

    reader, drainer = asyncio.create_task(read()), asyncio.create_task(drain())
    before = client.app[links_key].event_counts()[pbx_world.cs]
    # calls among the phones, several at once and interleaved, a quarter out through a trunk;
    # every channel is hung up and every phone's last device state is NOT_INUSE
    sent = await pbx.blast(realistic_event_stream(PHONES, CALLS, seed=7))
    assert sent > CALLS * 10
    async with asyncio.timeout(300):
        await poll_until(
            lambda: client.app[links_key].event_counts()[pbx_world.cs] >= before + sent,
            interval=0.2,
        )
    assert live.synced and len(hub) == 2  # nobody was dropped
    assert len(live.channels) == 0
    assert live.channels.by_device == {} and live.channels.bridges == {}
    for number in ("100", "101", "107", "108"):
        assert await get(client, f"{ext_path(pbx_world, number)}/callSegments") == []
        assert (await get(client, ext_path(pbx_world, number)))["deviceState"] == "NOT_INUSE"
    async with asyncio.timeout(30):
        await poll_until(all_ended, interval=0.1)
    for segment, seen in phases.items():  # exactly one start and one end per segment
        assert seen[0] == "start" and seen.count("start") == seen.count("end") == 1, segment
    assert live.dynamic_members() == []
    await quiet.close()
    await watcher.close()
    await reader
    await drainer
    async with asyncio.timeout(5):
        await poll_until(lambda: len(hub) == 0)
