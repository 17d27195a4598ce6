"""Callers waiting in a queue and what agents report, played by the simulated PBX over its real
AMI port and seen through the bridge's real port: ``QUEUE/calls``, queues' ``callsWaiting`` and
``longestWaitSince``, agents' pause and call fields, ``queue.callerJoin`` /
``queue.callerLeave`` on the event stream, and a resync that keeps who waits since when."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bridge.live.agents import dynamic_agent_id
from bridge.pbxsim import SimulatedPbx, phone_lab_config
from tests.api.test_event_stream import next_event, open_stream, started
from tests.conftest import StartBridge
from tests.live.test_live_api import eventually, get
from tests.support import P, call
from tests.world import World

PEOPLE = {"100": "Alice", "101": "Bob"}
# Whoever calls chooses the name: markup, quotes, an ampersand, a bidi override.
HOSTILE = '<img src=x onerror=alert(1)> "Ünï" & \u202eevil'


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    """Queue ``support`` (extension 5000) with static members PJSIP/100 (an agent row of the
    world) and PJSIP/101 (no agent row: an agent because it is extension 101's device)."""
    config = phone_lab_config(PEOPLE, queues={"support": ["PJSIP/100", "PJSIP/101"]})
    async with SimulatedPbx(login_failure_delay=0.01, call_duration=None, config=config) as sim:
        yield sim


def queue_path(world: World) -> str:
    return f"{P}/coreServers/{world.cs}/queues/getByName/support"


async def calls_of(client: TestClient[Any, Any], world: World) -> list[dict[str, Any]]:
    return list(await get(client, f"{queue_path(world)}/calls"))


async def agent_event(ws: Any, agent_id: str) -> dict[str, Any]:
    while (event := await next_event(ws, "agent.state"))["agentId"] != agent_id:
        pass
    return event


def seconds_ago(text: str) -> float:
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (dt.datetime.now(dt.UTC) - when).total_seconds()


async def test_waiting_callers_an_abandon_and_an_answer(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    viewer = await open_stream(client, "viewer")  # may view the queue
    queue = queue_path(pbx_world)
    alice_path = f"{queue}/agents/{pbx_world.agents['alice']}"

    # the static member PJSIP/101 has no agent row: an agent all the same, with a stable id
    bob_id = dynamic_agent_id(pbx_world.cs, pbx_world.queues["support"], "PJSIP/101")
    bob = await get(client, f"{queue}/agents/{bob_id}")
    assert (bob["dynamic"], bob["extensionId"], bob["name"]) == (False, pbx_world.ext["101"], "Bob")
    listed = {a["interface"]: a for a in await get(client, f"{queue}/agents")}
    assert listed["PJSIP/101"]["id"] == bob["id"]
    # PJSIP/100 has a row in agents: listed once, with the row's id and name
    assert [a["interface"] for a in await get(client, f"{queue}/agents")].count("PJSIP/100") == 1
    assert (listed["PJSIP/100"]["id"], listed["PJSIP/100"]["name"]) == (
        pbx_world.agents["alice"],
        "Alice agent",
    )
    alice = await get(client, alice_path)
    assert (alice["paused"], alice["pausedReason"], alice["pausedSince"]) == (False, None, None)
    assert (alice["callsTaken"], alice["lastCallEnd"], alice["inCall"]) == (0, None, False)

    pbx.pause_queue_member("support", "PJSIP/100", True, "lunch")
    pbx.pause_queue_member("support", "PJSIP/101", True)
    paused = await agent_event(ws, pbx_world.agents["alice"])
    assert (paused["paused"], paused["pausedReason"]) == (True, "lunch")
    assert seconds_ago(paused["pausedSince"]) < 5
    assert (await get(client, alice_path))["pausedReason"] == "lunch"

    # two callers wait (every member is paused): the first from outside, to a DID
    first = pbx.queue_call(
        "+15550001111", "support", "PJSIP/100", did="18005550100", caller_name=HOSTILE,
        answer=False,
    )  # fmt: skip
    joined = await next_event(ws, "queue.callerJoin")
    assert joined["queueId"] == pbx_world.queues["support"]
    assert joined["callsWaiting"] == 1
    assert joined["call"]["id"] == first.caller.uniqueid
    assert joined["call"]["callerId"] == {"name": HOSTILE, "number": "+15550001111"}
    assert joined["call"]["did"] == "18005550100"
    assert (await next_event(viewer, "queue.callerJoin"))["call"] == joined["call"]
    second = pbx.queue_call("+15550002222", "support", "PJSIP/100", answer=False)
    assert (await next_event(ws, "queue.callerJoin"))["callsWaiting"] == 2

    waiting = await calls_of(client, pbx_world)
    assert [c["id"] for c in waiting] == [first.caller.uniqueid, second.caller.uniqueid]
    assert [c["position"] for c in waiting] == [1, 2]
    assert waiting[0] == joined["call"]
    # an outside caller Asterisk knows no name of: null, not "<unknown>"
    assert waiting[1]["callerId"] == {"name": None, "number": "+15550002222"}
    body = await get(client, queue)
    assert (body["callsWaiting"], body["longestWaitSince"]) == (2, waiting[0]["waitingSince"])
    assert [q["callsWaiting"] for q in await get(client, f"{P}/coreServers/{pbx_world.cs}/queues")]
    limited = await get(client, f"{queue}/calls?limit=1&offset=1")
    assert [c["id"] for c in limited] == [second.caller.uniqueid]

    # the second caller hangs up while it waits: abandoned
    pbx.hangup_call(second)
    left = await next_event(ws, "queue.callerLeave")
    assert (left["call"]["id"], left["reason"], left["callsWaiting"]) == (
        second.caller.uniqueid,
        "abandoned",
        1,
    )

    # Alice comes back and answers the first caller
    pbx.pause_queue_member("support", "PJSIP/100", False)
    back = await agent_event(ws, pbx_world.agents["alice"])
    assert (back["paused"], back["pausedReason"], back["pausedSince"]) == (False, None, None)
    pbx.answer(first)
    answered = await next_event(ws, "queue.callerLeave")
    assert (answered["call"]["id"], answered["reason"], answered["callsWaiting"]) == (
        first.caller.uniqueid,
        "answered",
        0,
    )
    assert (await next_event(viewer, "queue.callerLeave"))["call"]["id"] == second.caller.uniqueid
    assert await calls_of(client, pbx_world) == []
    body = await get(client, queue)
    assert (body["callsWaiting"], body["longestWaitSince"]) == (0, None)

    async def in_call() -> bool:
        return bool((await get(client, alice_path))["inCall"] is True)

    await eventually(in_call)
    pbx.hangup_call(first)

    async def done() -> bool:
        agent = await get(client, alice_path)
        return bool(agent["inCall"] is False and agent["callsTaken"] == 1)

    await eventually(done)
    assert seconds_ago((await get(client, alice_path))["lastCallEnd"]) < 5
    await ws.close()
    await viewer.close()


async def test_queue_calls_follow_the_queues_view_rights(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    path = f"{queue_path(pbx_world)}/calls"
    for account, status in (("viewer", 200), ("csonly", 403), ("stranger", 403)):
        found, _ = await call(client, "GET", path, account)
        assert found == status, account
    closed = f"{P}/coreServers/{pbx_world.cs}/queues/getByName/closed/calls"
    assert (await call(client, "GET", closed))[0] == 403
    missing = f"{P}/coreServers/{pbx_world.cs}/queues/getByName/nothing/calls"
    assert (await call(client, "GET", missing))[0] == 404


async def test_a_resync_keeps_who_waits_since_when(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    for interface in ("PJSIP/100", "PJSIP/101"):
        pbx.pause_queue_member("support", interface, True)
    first = pbx.queue_call(
        "+15550001111", "support", "PJSIP/100", did="18005550100", caller_name=HOSTILE,
        answer=False,
    )  # fmt: skip
    second = pbx.queue_call("+15550002222", "support", "PJSIP/100", answer=False)

    async def two_wait() -> bool:
        return len(await calls_of(client, pbx_world)) == 2

    await eventually(two_wait)
    before = await calls_of(client, pbx_world)

    # the link drops; meanwhile the second caller gives up and a third one joins
    pbx.pause()
    pbx.drop_connections()
    while (await next_event(ws, "coreServer.amiStatus"))["coreServerId"] != pbx_world.cs:
        pass  # the world's other core servers fail to connect over and over
    assert (await get(client, queue_path(pbx_world)))["callsWaiting"] is None
    pbx.hangup_call(second)
    third = pbx.queue_call("+15550003333", "support", "PJSIP/100", answer=False)
    await pbx.resume()
    while (await next_event(ws, "coreServer.synced"))["coreServerId"] != pbx_world.cs:
        pass

    after = await calls_of(client, pbx_world)
    assert [c["id"] for c in after] == [first.caller.uniqueid, third.caller.uniqueid]
    # the first caller waits since when it joined, with its caller id and DID as before
    assert after[0] == {**before[0], "position": 1}
    assert after[1]["position"] == 2
    assert after[1]["callerId"] == {"name": None, "number": "+15550003333"}  # QueueEntry's unknown
    assert seconds_ago(after[1]["waitingSince"]) < 5
    body = await get(client, queue_path(pbx_world))
    assert (body["callsWaiting"], body["longestWaitSince"]) == (2, before[0]["waitingSince"])
    await ws.close()


async def test_why_a_caller_left_when_queue_gives_up_on_it(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """Queue() lets a caller go with QUEUESTATUS (its timeout here) just after the leave; a
    leave that nothing explains is ``left``."""
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    for interface in ("PJSIP/100", "PJSIP/101"):
        pbx.pause_queue_member("support", interface, True)
    late = pbx.queue_call("+15550001111", "support", "PJSIP/100", answer=False)
    silent = pbx.queue_call("+15550002222", "support", "PJSIP/100", answer=False)
    for _ in range(2):
        await next_event(ws, "queue.callerJoin")
    for call_, status in ((late, "TIMEOUT"), (silent, None)):
        caller = call_.caller
        pbx.push_event([
            ("Event", "QueueCallerLeave"), ("Channel", caller.name),
            ("Uniqueid", caller.uniqueid), ("Queue", "support"), ("Position", "1"),
            ("Count", "1"),
        ])  # fmt: skip
        if status:
            pbx.push_event([
                ("Event", "VarSet"), ("Channel", caller.name), ("Uniqueid", caller.uniqueid),
                ("Variable", "QUEUESTATUS"), ("Value", status),
            ])  # fmt: skip
        left = await next_event(ws, "queue.callerLeave")
        assert left["call"]["id"] == caller.uniqueid
        assert left["reason"] == ("timeout" if status else "left")
    assert await calls_of(client, pbx_world) == []
    await ws.close()
