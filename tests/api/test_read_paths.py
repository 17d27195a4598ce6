"""Every GET path of the API (docs/api.md), in both forms and mixed, over a real port."""

from __future__ import annotations

import pytest

from tests.conftest import StartBridge
from tests.support import P, call
from tests.world import World

EXTENSION_KEYS = [
    "id",
    "extensionNumber",
    "displayName",
    "configurationId",
    "permissionId",
    "dnd",
    "deviceState",
]


async def test_core_servers(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    status, body = await call(client, "GET", f"{P}/coreServers")
    assert status == 200
    assert [s["slug"] for s in body] == ["default", "branch"]  # "old" is disabled
    assert list(body[0]) == ["id", "slug", "name", "amiStatus", "amiStatusReason"]
    status = body[0]["amiStatus"]  # nothing listens on its AMI port
    assert status in ("connecting", "disconnected")
    assert body[0]["amiStatusReason"] in (None, "connection refused")  # None: before a try
    live = {"amiStatus": status, "amiStatusReason": None}
    assert {**body[0], **live} == {"id": world.cs, "slug": "default", "name": "Main PBX", **live}
    by_id = await call(client, "GET", f"{P}/coreServers/{world.cs}")
    by_name = await call(client, "GET", f"{P}/coreServers/getByName/default")
    assert by_id[0] == by_name[0] == 200
    assert {**by_id[1], **live} == {**by_name[1], **live} == {**body[0], **live}


async def test_core_server_extensions_are_the_licensed_ones(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    for cs in (world.cs, "getByName/default"):
        status, body = await call(client, "GET", f"{P}/coreServers/{cs}/extensions")
        assert status == 200
        # 102 is past its license's seats, 103 basic, 104 expired, 105 unbound, 106 no license
        assert [e["extensionNumber"] for e in body] == ["100", "101", "107", "108"]
        assert all(list(e) == EXTENSION_KEYS for e in body)
        assert body[0]["id"] == world.ext["100"]
        assert body[0]["displayName"] == "Alice"
        assert {(e["dnd"], e["deviceState"]) for e in body} == {(None, "UNKNOWN")}


@pytest.mark.parametrize(
    "path",
    [
        "coreServers/{cs}/extensions/{ext}",
        "coreServers/{cs}/extensions/getByName/100",
        "coreServers/getByName/default/extensions/{ext}",
        "coreServers/getByName/default/extensions/getByName/100",
        "coreServers/{cs}/users/{user}/extensions/{ext}",
        "coreServers/{cs}/users/getByName/alice/extensions/getByName/100",
        "coreServers/getByName/default/user/{user}/extensions/getByName/100",
        "coreServers/getByName/default/user/getByName/alice/extensions/{ext}",
        "coreServers/{cs}/queues/{queue}/agents/{agent}/extension",
        "coreServers/getByName/default/queues/getByName/support/agent/{agent}/extension",
        "coreServers/{cs}/extensions/{ext}/",
    ],
)
async def test_every_form_of_an_extension(
    world: World, start_bridge: StartBridge, path: str
) -> None:
    client = await start_bridge()
    url = (
        P
        + "/"
        + path.format(
            cs=world.cs,
            ext=world.ext["100"],
            user=world.users["alice"],
            queue=world.queues["support"],
            agent=world.agents["alice"],
        )
    )
    status, body = await call(client, "GET", url)
    assert status == 200, body
    assert body["id"] == world.ext["100"]
    assert body["extensionNumber"] == "100"
    assert list(body) == EXTENSION_KEYS


async def test_users(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    for form in ("users", "user"):
        status, body = await call(client, "GET", f"{P}/coreServers/{world.cs}/{form}")
        assert status == 200
        assert [u["userName"] for u in body] == [
            "alice",
            "bob",
            "carol",
            "dave",
            "erin",
            "frank",
            "gina",
        ]
    licensed = {u["userName"]: u["licensed"] for u in body}
    assert licensed == {
        "alice": True,
        "bob": True,
        "carol": False,
        "dave": False,
        "erin": False,
        "frank": False,
        "gina": True,
    }
    alice = body[0]
    assert list(alice) == [
        "id",
        "configurationId",
        "userName",
        "displayedName",
        "permissionId",
        "licensed",
    ]
    assert alice["displayedName"] == "Alice"
    for form in (world.users["alice"], "getByName/alice"):
        assert await call(client, "GET", f"{P}/coreServers/{world.cs}/users/{form}") == (200, alice)


async def test_user_extensions(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    base = f"{P}/coreServers/getByName/default/users"
    status, body = await call(client, "GET", f"{base}/getByName/alice/extensions")
    assert (status, [e["extensionNumber"] for e in body]) == (200, ["100", "108"])
    # a user past the seats, on a basic license, or unlicensed: no extensions for the API
    for name in ("carol", "dave", "frank"):
        assert await call(client, "GET", f"{base}/getByName/{name}/extensions") == (200, [])


async def test_queues(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    status, body = await call(client, "GET", f"{P}/coreServers/{world.cs}/queues")
    assert status == 200
    assert body == [
        {
            "id": world.queues["support"],
            "displayName": "Support",
            "identifier": "support",
            "configurationId": body[0]["configurationId"],
            "permissionId": body[0]["permissionId"],
            "callsWaiting": None,  # no AMI link: not known
            "longestWaitSince": None,
        }
    ]
    for form in (world.queues["support"], "getByName/support"):
        assert await call(client, "GET", f"{P}/coreServers/{world.cs}/queues/{form}") == (
            200,
            body[0],
        )


async def test_agents(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    queue = f"{P}/coreServers/{world.cs}/queues/getByName/support"
    for form in ("agents", "agent"):
        status, body = await call(client, "GET", f"{queue}/{form}")
        assert status == 200
        # carol's extension is unlicensed and one agent has no extension: left out
        assert [a["id"] for a in body] == [world.agents["alice"], world.agents["gina"]]
    alice = body[0]
    assert alice == {
        "id": world.agents["alice"],
        "paused": None,
        "state": "UNKNOWN",
        "name": "Alice agent",
        "dynamic": False,
        "queueId": world.queues["support"],
        "extensionId": world.ext["100"],
        "interface": "PJSIP/100",
        "pausedReason": None,
        "pausedSince": None,
        "callsTaken": None,
        "lastCallEnd": None,
        "inCall": None,
    }
    assert await call(client, "GET", f"{queue}/agents/{world.agents['alice']}") == (200, alice)


async def test_extension_agents_and_call_segments(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    ext = f"{P}/coreServers/{world.cs}/extensions"
    status, body = await call(client, "GET", f"{ext}/getByName/100/agents")
    assert (status, [a["id"] for a in body]) == (200, [world.agents["alice"]])
    # bob's only agent is in a disabled queue
    assert await call(client, "GET", f"{ext}/getByName/101/agents") == (200, [])
    assert await call(client, "GET", f"{ext}/getByName/100/callSegments") == (200, [])
    queue = f"{P}/coreServers/{world.cs}/queues/{world.queues['support']}"
    via_agent = f"{queue}/agents/{world.agents['alice']}/extension"
    assert (await call(client, "GET", f"{via_agent}/agents"))[0] == 200


async def test_limit_and_offset(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    url = f"{P}/coreServers/{world.cs}/extensions"
    _, page = await call(client, "GET", url, params={"limit": "2", "offset": "1"})
    assert [e["extensionNumber"] for e in page] == ["101", "107"]
    _, rest = await call(client, "GET", url, params={"offset": "3"})
    assert [e["extensionNumber"] for e in rest] == ["108"]
    assert await call(client, "GET", url, params={"offset": "30"}) == (200, [])
    _, users = await call(client, "GET", f"{P}/coreServers/{world.cs}/users", params={"limit": "1"})
    assert [u["userName"] for u in users] == ["alice"]


async def test_head_answers_like_get_without_a_body(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    from tests.support import basic

    async with client.head(f"{P}/coreServers", headers=basic("admin", "admin-pw")) as response:
        assert response.status == 200
        assert await response.read() == b""
