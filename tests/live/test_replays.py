"""Recorded SIP call flows of a real Asterisk 22 (chan_pjsip, sipp phones) played into the
bridge: what WebSocket clients see, and what is left once every call has ended."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bridge.keys import live_key
from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import open_stream, started
from tests.conftest import StartBridge
from tests.replays import PjsipWorld, replay_into
from tests.support import P, basic, call

FLOWS = [
    "pjsip/phone_to_phone",
    "pjsip/phone_to_outside",
    "pjsip/did_to_phone",
    "pjsip/did_to_queue",
    "pjsip/originate_to_phone",
    "pjsip/blind_transfer_sip",
]
# The first lab's phones are Local channels: each call leg is a pair of halves (;1 and ;2).
LOCAL_FLOWS = [
    "call_event_stream",
    "queue_call_events",
    "blind_transfer",
    "redirect",
    "hangup_action",
    "queue_callers_waiting",
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


async def played(
    start_bridge: StartBridge, pbx: SimulatedPbx, flow: str
) -> tuple[TestClient[Any, Any], list[dict[str, Any]]]:
    """The bridge, and every event a WebSocket client saw while ``flow`` was played into it."""
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    await replay_into(pbx, flow)
    events = await stream_of(ws)
    await ws.close()
    return client, events


@pytest.mark.parametrize("flow", FLOWS)
async def test_a_recorded_flow_leaves_nothing_and_starts_and_ends_each_segment_once(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge, flow: str
) -> None:
    client, events = await played(start_bridge, pbx, flow)
    await each_segment_once_and_nothing_left(client, events, pjsip_world)


@pytest.mark.parametrize("flow", LOCAL_FLOWS)
async def test_a_recorded_flow_of_local_channels_does_the_same(
    local_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge, flow: str
) -> None:
    client, events = await played(start_bridge, pbx, flow)
    await each_segment_once_and_nothing_left(client, events, local_world)


async def each_segment_once_and_nothing_left(
    client: TestClient[Any, Any], events: list[dict[str, Any]], world: PjsipWorld
) -> None:
    segments: dict[str, list[str]] = {}
    for event in events:
        if event["type"].startswith("callSegment."):
            key = f"{event['extensionNumber']} {event['segment']['id']}"
            segments.setdefault(key, []).append(event["type"].split(".")[1])
    assert segments, events
    for key, phases in segments.items():
        assert phases[0] == "start" and phases[-1] == "end", (key, phases)
        assert phases.count("start") == phases.count("end") == 1, (key, phases)
    live = client.app[live_key].server(world.cs)
    assert len(live.channels) == 0
    for number in world.ext:
        path = f"{P}/coreServers/{world.cs}/extensions/getByName/{number}/callSegments"
        assert await call(client, "GET", path) == (200, [])


def first_of_each_segment(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each extension's first event about each of its segments, by extension number."""
    firsts: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["type"].startswith("callSegment."):
            firsts.setdefault(event["extensionNumber"], event)
    return firsts


async def test_a_dialled_leg_starts_right_about_direction_and_the_other_party(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """The dialled leg's Newchannel comes before its DialBegin, in the same burst: its start
    waits for the end of the burst, and then already says who calls (a screen-pop shows the
    caller at once). The caller's own start, a burst earlier, says the number it dialled."""
    _, events = await played(start_bridge, pbx, "pjsip/phone_to_phone")
    firsts = first_of_each_segment(events)
    caller, callee = firsts["4224"], firsts["4225"]
    assert caller["type"] == callee["type"] == "callSegment.start"
    assert (caller["segment"]["incoming"], caller["segment"]["type"]) == (False, "INTERNAL")
    assert caller["segment"]["callerId"] == {
        "id": pjsip_world.ext["4225"],
        "name": "",
        "number": "4225",
    }
    assert (callee["segment"]["incoming"], callee["segment"]["type"]) == (True, "INTERNAL")
    assert callee["segment"]["callerId"] == {
        "id": pjsip_world.ext["4224"],
        "name": "Phone 4224",
        "number": "4224",
    }


def assert_other_party_only(events: list[dict[str, Any]], world: PjsipWorld) -> None:
    for event in events:
        if event["type"].startswith("callSegment."):
            own, caller = event["extensionNumber"], event["segment"]["callerId"]
            assert caller["number"] != own and caller["id"] != world.ext[own], event
            if caller["id"] is not None:  # one party: the id and the number agree
                number = next(n for n, i in world.ext.items() if i == caller["id"])
                assert caller["number"] == number, event


@pytest.mark.parametrize("flow", FLOWS)
async def test_caller_id_is_the_other_party_and_one_party(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge, flow: str
) -> None:
    _, events = await played(start_bridge, pbx, flow)
    assert_other_party_only(events, pjsip_world)


@pytest.mark.parametrize("flow", LOCAL_FLOWS)
async def test_caller_id_is_the_other_party_with_local_channels_too(
    local_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge, flow: str
) -> None:
    _, events = await played(start_bridge, pbx, flow)
    assert_other_party_only(events, local_world)


def assert_no_repeats(events: list[dict[str, Any]]) -> None:
    last: dict[object, Any] = {}
    for event in events:
        body = {k: v for k, v in event.items() if k not in ("time", "type")}
        kind = event["type"]
        if kind.startswith("callSegment."):
            subject: object = ("segment", event["extensionId"], event["segment"]["id"])
        elif kind in ("extension.state", "extension.dnd"):
            subject = (kind, event["extensionId"])
        elif kind == "agent.state":
            subject = ("agent", event["agentId"])
        else:
            continue
        if kind.endswith(".change") or kind in ("extension.state", "extension.dnd", "agent.state"):
            assert last.get(subject) != body, f"repeated: {event}"
        last[subject] = body


@pytest.mark.parametrize("flow", FLOWS + LOCAL_FLOWS)
async def test_no_event_repeats_the_previous_one_of_its_subject(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge, flow: str
) -> None:
    _, events = await played(start_bridge, pbx, flow)
    assert_no_repeats(events)


async def test_a_blindly_transferred_leg_calls_the_target(
    local_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """4224 calls 1001; 4224's half is transferred to 1002: 1001's leg now calls 1002 (it was
    sent there), no longer an incoming call from 4224."""
    _, events = await played(start_bridge, pbx, "blind_transfer")
    last = [
        e for e in events if e["type"].startswith("callSegment.") and e["extensionNumber"] == "1001"
    ]
    before = next(e for e in last if e["segment"]["incoming"])
    assert before["segment"]["callerId"]["number"] == "4224"
    after = [e for e in last if e["type"] == "callSegment.change" and e is not before]
    assert after and all(not e["segment"]["incoming"] for e in after)
    for event in after:  # to its end, whichever of its Local halves goes last
        assert event["segment"]["callerId"] == {
            "id": local_world.ext["1002"],
            "name": "",
            "number": "1002",
        }


async def test_an_originate_to_an_outside_number_shows_that_number(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """Asterisk sets the originated leg's connected line to the originate's own caller id (the
    extension itself) and names the destination only once the phone answered: the segment says
    the number asked for, from its start."""
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    path = f"{P}/coreServers/{pjsip_world.cs}/extensions/getByName/4224/originate"
    async with client.post(
        path, json={"destinationNumber": "7701"}, headers=basic("admin", "admin-pw")
    ) as response:
        assert response.status == 204
    events = await stream_of(ws)
    await ws.close()
    mine = [e for e in events if e["type"].startswith("callSegment.")]
    assert mine and mine[0]["type"] == "callSegment.start"
    for event in mine:
        assert (event["segment"]["type"], event["segment"]["incoming"]) == ("EXTERNAL", False)
        assert event["segment"]["callerId"] == {"id": None, "name": "", "number": "7701"}


async def test_a_dynamic_member_with_a_state_interface_is_removed_as_an_agent(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """FreePBX adds agents as Local/<n>@from-queue/n with StateInterface PJSIP/<n>: the agent is
    found by its state interface, on the way in and on the way out."""
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    member = [
        ("Queue", "support"),
        ("MemberName", "Anna K"),
        ("Interface", "Local/4225@from-queue/n"),
        ("StateInterface", "PJSIP/4225"),
        ("Membership", "dynamic"),
        ("Penalty", "0"),
        ("Status", "1"),
        ("Paused", "0"),
    ]
    pbx.push_event([("Event", "QueueMemberAdded"), ("Privilege", "agent,all"), *member])
    pbx.push_event([("Event", "QueueMemberRemoved"), ("Privilege", "agent,all"), *member])
    events = [e for e in await stream_of(ws) if e["type"].startswith("agent.")]
    await ws.close()
    assert [e["type"] for e in events] == ["agent.state", "agent.removed"]
    assert events[0]["agentId"] == events[1]["agentId"]
    assert events[1]["extensionId"] == pjsip_world.ext["4225"]
