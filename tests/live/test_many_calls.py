"""100,000 calls through the simulated PBX leave nothing behind: no channel, segment, bridge,
device index entry or event-stream subscriber (counted)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from bridge.keys import hub_key, links_key, live_key
from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import next_event, open_stream, started
from tests.api.test_extension_actions import ext_path
from tests.conftest import StartBridge
from tests.live.test_live_api import get
from tests.support import poll_until
from tests.world import World

CALLS = 100_000
SNAPSHOT = (
    "Channel: {name}\r\nChannelState: {state}\r\nChannelStateDesc: {desc}\r\n"
    "CallerIDNum: {cid}\r\nCallerIDName: Caller {cid}\r\nConnectedLineNum: {col}\r\n"
    "ConnectedLineName: Caller {col}\r\nLanguage: en\r\nAccountCode: \r\n"
    "Context: from-internal\r\nExten: {exten}\r\nPriority: 1\r\nUniqueid: {uid}\r\n"
    "Linkedid: {linked}\r\n"
)


def _event(name: str, privilege: str = "call,all", *blocks: str) -> str:
    return f"Event: {name}\r\nPrivilege: {privilege}\r\n" + "".join(blocks) + "\r\n"


def _dest(block: str) -> str:
    return "".join(f"Dest{line}\r\n" for line in block.split("\r\n") if line)


def call_bytes(n: int, caller: str, callee: str) -> bytes:
    """One answered call from phone ``caller`` to phone ``callee``, in Asterisk 22's shapes."""
    a, b = f"PJSIP/{caller}-{2 * n:08x}", f"PJSIP/{callee}-{2 * n + 1:08x}"
    ua, ub = f"1790000000.{2 * n}", f"1790000000.{2 * n + 1}"
    bridge = f"b{n:08d}-0000-4000-8000-000000000000"

    def snap(name: str, uid: str, state: int, desc: str, cid: str, col: str) -> str:
        return SNAPSHOT.format(
            name=name, state=state, desc=desc, cid=cid, col=col, exten=callee, uid=uid, linked=ua
        )

    ring_a = snap(a, ua, 4, "Ring", caller, "")
    down_b = snap(b, ub, 0, "Down", callee, caller)
    up_a, up_b = snap(a, ua, 6, "Up", caller, callee), snap(b, ub, 6, "Up", callee, caller)
    bridged = (
        f"BridgeUniqueid: {bridge}\r\nBridgeType: basic\r\nBridgeTechnology: simple_bridge\r\n"
    )
    text = "".join(
        (
            _event("Newchannel", "call,all", ring_a),
            _event("Newchannel", "call,all", down_b),
            _event("DialBegin", "call,all", ring_a, _dest(down_b), f"DialString: {callee}\r\n"),
            _event("Newstate", "call,all", snap(b, ub, 5, "Ringing", callee, caller)),
            _event(
                "DeviceStateChange", "call,all", f"Device: PJSIP/{callee}\r\nState: RINGING\r\n"
            ),
            _event("Newstate", "call,all", up_b),
            _event("DialEnd", "call,all", up_a, _dest(up_b), "DialStatus: ANSWER\r\n"),
            _event("BridgeEnter", "call,all", bridged, up_b),
            _event("BridgeEnter", "call,all", bridged, up_a),
            _event("Hangup", "call,all", up_b, "Cause: 16\r\nCause-txt: Normal Clearing\r\n"),
            _event("BridgeLeave", "call,all", bridged, up_a),
            _event("Hangup", "call,all", up_a, "Cause: 16\r\nCause-txt: Normal Clearing\r\n"),
            _event("BridgeDestroy", "call,all", bridged),
            _event(
                "DeviceStateChange", "call,all", f"Device: PJSIP/{callee}\r\nState: NOT_INUSE\r\n"
            ),
        )
    )
    return text.encode()


EVENTS_PER_CALL = 14
# Mostly phones the directory does not know, and the world's licensed extensions now and then.
PHONES = [str(n) for n in range(2000, 2050)] + ["100", "101", "107", "108"]


def calls(count: int) -> Iterator[bytes]:
    for n in range(count):
        caller, callee = PHONES[n % len(PHONES)], PHONES[(n * 7 + 3) % len(PHONES)]
        if caller == callee:
            callee = PHONES[(n * 7 + 4) % len(PHONES)]
        yield call_bytes(n, caller, callee)


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
    received = {"start": 0, "end": 0}

    async def read() -> None:
        async for message in watcher:
            kind = json.loads(message.data)["type"]
            if kind.startswith("callSegment."):
                phase = kind.split(".")[1]
                received[phase] = received.get(phase, 0) + 1

    async def drain() -> None:  # reading answers the server's heartbeat pings
        async for _ in quiet:
            pass

    reader, drainer = asyncio.create_task(read()), asyncio.create_task(drain())
    before = client.app[links_key].event_counts()[pbx_world.cs]
    sent = await pbx.blast(calls(CALLS))
    assert sent == CALLS
    async with asyncio.timeout(300):
        await poll_until(
            lambda: (
                client.app[links_key].event_counts()[pbx_world.cs]
                >= before + CALLS * EVENTS_PER_CALL
            ),
            interval=0.2,
        )
    assert live.synced and len(hub) == 2  # nobody was dropped
    assert len(live.channels) == 0
    assert live.channels.by_device == {} and live.channels.bridges == {}
    for number in ("100", "101", "107", "108"):
        assert await get(client, f"{ext_path(pbx_world, number)}/callSegments") == []
        assert (await get(client, ext_path(pbx_world, number)))["deviceState"] == "NOT_INUSE"
    async with asyncio.timeout(30):
        await poll_until(lambda: received["end"] == received["start"] > 0, interval=0.1)
    await quiet.close()
    await watcher.close()
    await reader
    await drainer
    async with asyncio.timeout(5):
        await poll_until(lambda: len(hub) == 0)
