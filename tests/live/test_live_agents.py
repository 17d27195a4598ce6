"""Agents' live values: static agents' paused/state from queue members, and dynamic members
(QueueAdd, agent logins) of known extensions shown as agents with a stable id."""

from __future__ import annotations

from typing import Any

from bridge.live.agents import dynamic_agent_id
from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import next_event, open_stream, started
from tests.conftest import StartBridge
from tests.live.test_live_api import eventually, get
from tests.support import P, call
from tests.world import World


def member_event(
    name: str,
    interface: str,
    *,
    status: int = 1,
    paused: bool = False,
    membership: str = "dynamic",
    queue: str = "support",
) -> list[tuple[str, str]]:
    return [
        ("Event", name),
        ("Privilege", "agent,all"),
        ("Queue", queue),
        ("MemberName", f"Member {interface}"),
        ("Interface", interface),
        ("StateInterface", interface),
        ("Membership", membership),
        ("Penalty", "0"),
        ("CallsTaken", "0"),
        ("LastCall", "0"),
        ("LastPause", "0"),
        ("LoginTime", "0"),
        ("InCall", "0"),
        ("Status", str(status)),
        ("Paused", "1" if paused else "0"),
        ("PausedReason", ""),
        ("Ringinuse", "0"),
        ("Wrapuptime", "0"),
    ]


async def test_static_agent_values_follow_member_events(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    queue = f"{P}/coreServers/{pbx_world.cs}/queues/getByName/support"
    agent = f"{queue}/agents/{pbx_world.agents['alice']}"
    body = await get(client, agent)
    assert (body["paused"], body["state"]) == (None, "UNKNOWN")  # QueueStatus knows no PJSIP/100
    pbx.push_event(member_event("QueueMemberStatus", "PJSIP/100", status=2, membership="static"))
    event = await next_event(ws, "agent.state")
    assert (event["agentId"], event["paused"], event["state"]) == (
        pbx_world.agents["alice"],
        False,
        "INUSE",
    )
    assert event["extensionId"] == pbx_world.ext["100"]
    pbx.push_event(
        member_event("QueueMemberPause", "PJSIP/100", status=2, paused=True, membership="static")
    )
    assert (await next_event(ws, "agent.state"))["paused"] is True

    async def paused() -> bool:
        found = await get(client, agent)
        return bool(found["paused"] is True and found["state"] == "INUSE")

    await eventually(paused)
    await ws.close()


async def test_dynamic_members_of_known_extensions_are_agents(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    queue = f"{P}/coreServers/{pbx_world.cs}/queues/getByName/support"
    pbx.push_event(member_event("QueueMemberAdded", "PJSIP/101", status=1))
    pbx.push_event(member_event("QueueMemberAdded", "PJSIP/555", status=1))  # no extension
    pbx.push_event(member_event("QueueMemberAdded", "PJSIP/102", status=1))  # unlicensed carol
    added = await next_event(ws, "agent.state")
    expected_id = dynamic_agent_id(pbx_world.cs, pbx_world.queues["support"], "PJSIP/101")
    assert added["agentId"] == expected_id

    async def listed() -> bool:
        return len(await get(client, f"{queue}/agents")) == 3

    await eventually(listed)
    agents = {a["interface"]: a for a in await get(client, f"{queue}/agents")}
    assert set(agents) == {"PJSIP/100", "PJSIP/107", "PJSIP/101"}
    bob = agents["PJSIP/101"]
    assert bob == {
        "id": expected_id,
        "paused": False,
        "state": "NOT_INUSE",
        "name": "Member PJSIP/101",
        "dynamic": True,
        "queueId": pbx_world.queues["support"],
        "extensionId": pbx_world.ext["101"],
        "interface": "PJSIP/101",
        "pausedReason": None,
        "pausedSince": None,
        "callsTaken": 0,
        "lastCallEnd": None,
        "inCall": False,
    }
    assert await get(client, f"{queue}/agents/{expected_id}") == bob
    via = await get(client, f"{queue}/agents/{expected_id}/extension")
    assert via["extensionNumber"] == "101"
    ext_agents = await get(
        client, f"{P}/coreServers/{pbx_world.cs}/extensions/getByName/101/agents"
    )
    assert [a["id"] for a in ext_agents] == [expected_id]
    # the same id after a resync: stable
    pbx.drop_connections()
    await next_event(ws, "coreServer.synced")
    pbx.push_event(member_event("QueueMemberAdded", "PJSIP/101", status=1))
    await eventually(listed)
    # removed: gone from the lists, an agent.removed event, and its path is 404
    pbx.push_event(member_event("QueueMemberRemoved", "PJSIP/101"))
    removed = await next_event(ws, "agent.removed")
    assert removed["agentId"] == expected_id
    status, _ = await call(client, "GET", f"{queue}/agents/{expected_id}")
    assert status == 404
    await ws.close()


async def test_queue_status_gives_members_on_sync(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> Any:
    # the lab PBX's queue "support" has a static member Local/4224@internal; nothing of ours
    client = await started(start_bridge, pbx)
    from bridge.keys import live_key

    live = client.app[live_key].server(pbx_world.cs)
    assert ("support", "Local/4224@internal") in live.members
