"""Recorded SIP call flows of a real Asterisk 22 (chan_pjsip, sipp phones) played into the
bridge: what WebSocket clients see, and what is left once every call has ended."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from bridge.keys import live_key
from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import open_stream, started
from tests.conftest import StartBridge
from tests.replays import PjsipWorld, replay_into
from tests.support import P, call

FLOWS = [
    "pjsip/phone_to_phone",
    "pjsip/phone_to_outside",
    "pjsip/did_to_phone",
    "pjsip/did_to_queue",
    "pjsip/originate_to_phone",
    "pjsip/blind_transfer_sip",
]


async def stream_of(
    ws: aiohttp.ClientWebSocketResponse, quiet: float = 0.5
) -> list[dict[str, Any]]:
    """Every event until the stream has been quiet for ``quiet`` seconds."""
    events: list[dict[str, Any]] = []
    while True:
        try:
            message = await ws.receive(timeout=quiet)
        except TimeoutError:
            return events
        events.append(json.loads(message.data))


@pytest.mark.parametrize("flow", FLOWS)
async def test_a_recorded_flow_leaves_nothing_and_starts_and_ends_each_segment_once(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge, flow: str
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    await replay_into(pbx, flow)
    events = await stream_of(ws)
    await ws.close()
    segments: dict[str, list[str]] = {}
    for event in events:
        if event["type"].startswith("callSegment."):
            key = f"{event['extensionNumber']} {event['segment']['id']}"
            segments.setdefault(key, []).append(event["type"].split(".")[1])
    assert segments, events
    for key, phases in segments.items():
        assert phases[0] == "start" and phases[-1] == "end", (key, phases)
        assert phases.count("start") == phases.count("end") == 1, (key, phases)
    live = client.app[live_key].server(pjsip_world.cs)
    assert len(live.channels) == 0
    for number in ("4224", "4225", "4226"):
        path = f"{P}/coreServers/{pjsip_world.cs}/extensions/getByName/{number}/callSegments"
        assert await call(client, "GET", path) == (200, [])
