"""401, 403 and 404 rules, left to right; grants by permission group; linked users."""

from __future__ import annotations

import pytest

from tests.conftest import StartBridge
from tests.support import P, basic, call
from tests.world import World


class _ByText(dict[str, str]):
    def __missing__(self, key: object) -> str:
        return self[str(key)]  # "{ext[100]}" asks for the int 100


def path(world: World, template: str) -> str:
    return (
        P
        + "/"
        + template.format(
            cs=world.cs,
            old=world.old_cs,
            branch=world.branch_cs,
            ext=_ByText(world.ext),
            users=world.users,
            queues=world.queues,
            agents=world.agents,
        )
    )


@pytest.mark.parametrize(
    ("template", "status", "error"),
    [
        ("coreServers/ca5de6c4-17bd-46ce-95a2-000000000000", 404, "core-server-not-found"),
        ("coreServers/getByName/nope/extensions", 404, "core-server-not-found"),
        ("coreServers/nope/extensions/{ext[100]}", 404, "core-server-not-found"),
        ("coreServers/{cs}/users/getByName/nobody/extensions", 404, "user-not-found"),
        ("coreServers/{cs}/extensions/getByName/4299", 404, "extension-not-found"),
        ("coreServers/{cs}/extensions/{ext[zed]}", 404, "extension-not-found"),  # other server
        ("coreServers/{cs}/users/getByName/bob/extensions/{ext[100]}", 404, "extension-not-found"),
        ("coreServers/{cs}/queues/getByName/sales", 404, "queue-not-found"),
        ("coreServers/{cs}/queues/getByName/support/agents/nope", 404, "agent-not-found"),
        (
            "coreServers/{cs}/queues/getByName/support/agents/{agents[bob_closed]}",
            404,
            "agent-not-found",
        ),
        ("coreServers/{old}", 403, "core-server-disabled"),
        ("coreServers/getByName/old/extensions/getByName/nope", 403, "core-server-disabled"),
        ("coreServers/{cs}/extensions/getByName/102", 403, "extension-not-licensed"),  # seats
        ("coreServers/{cs}/extensions/getByName/103", 403, "extension-not-licensed"),  # basic
        ("coreServers/{cs}/extensions/getByName/104", 403, "extension-not-licensed"),  # expired
        ("coreServers/{cs}/extensions/getByName/105", 403, "extension-not-licensed"),  # unbound
        ("coreServers/{cs}/extensions/getByName/106/callSegments", 403, "extension-not-licensed"),
        (
            "coreServers/{cs}/users/getByName/carol/extensions/getByName/102",
            403,
            "extension-not-licensed",
        ),
        ("coreServers/{cs}/queues/getByName/closed", 403, "queue-disabled"),
        ("coreServers/{cs}/queues/getByName/closed/agents/nope", 403, "queue-disabled"),
        (
            "coreServers/{cs}/queues/getByName/support/agents/{agents[carol]}",
            403,
            "agent-extension-not-licensed",
        ),
        (
            "coreServers/{cs}/queues/getByName/support/agents/{agents[none]}/extension",
            403,
            "agent-extension-not-licensed",
        ),
    ],
)
async def test_not_found_and_forbidden_even_for_admins(
    world: World, start_bridge: StartBridge, template: str, status: int, error: str
) -> None:
    client = await start_bridge()
    got_status, body = await call(client, "GET", path(world, template))
    assert (got_status, body["error"]) == (status, error), body
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert body["details"] == {}


async def test_error_body_names_what_is_missing(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    status, body = await call(
        client, "GET", f"{P}/coreServers/getByName/default/extensions/getByName/4299"
    )
    assert (status, body) == (
        404,
        {
            "status": 404,
            "error": "extension-not-found",
            "message": "No extension 4299 on core server default",
            "details": {},
        },
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("admin", "wrong"),
        basic("nobody", "admin-pw"),
        basic("disabled", "disabled-pw"),
        basic("Admin", "admin-pw"),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic " + "YWRtaW4="},  # "admin", no colon
        {"Authorization": "Basic //79/w=="},  # not UTF-8
    ],
)
async def test_unauthenticated(
    world: World, start_bridge: StartBridge, headers: dict[str, str]
) -> None:
    client = await start_bridge()
    async with client.get(f"{P}/coreServers/{world.cs}", headers=headers) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="bridge"'
        assert (await response.json())["error"] == "unauthenticated"


async def test_route_and_method_come_before_credentials(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    assert (await call(client, "GET", f"{P}/nothingHere", account=None))[0] == 404
    assert (await call(client, "GET", "/other", account=None))[0] == 404
    async with client.post(f"{P}/coreServers/{world.cs}/extensions") as response:
        assert response.status == 405
        assert response.headers["Allow"] == "GET"
        assert (await response.json())["error"] == "method-not-allowed"
    # a known path, an object that does not exist, no credentials: 401, not 404
    assert (await call(client, "GET", f"{P}/coreServers/nope", account=None))[0] == 401


async def test_grants_by_permission_group(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    cs = f"{P}/coreServers/{world.cs}"
    assert [s["slug"] for s in (await call(client, "GET", f"{P}/coreServers", "viewer"))[1]] == [
        "default"
    ]
    # 100 and 101 share one permission id; one grant covers both
    _, body = await call(client, "GET", f"{cs}/extensions", "viewer")
    assert [e["extensionNumber"] for e in body] == ["100", "101"]
    assert (await call(client, "GET", f"{cs}/extensions/getByName/101", "viewer"))[0] == 200
    status, body = await call(client, "GET", f"{cs}/extensions/getByName/108", "viewer")
    assert (status, body["error"]) == (403, "forbidden")
    _, users = await call(client, "GET", f"{cs}/users", "viewer")
    assert [u["userName"] for u in users] == ["bob"]
    assert (await call(client, "GET", f"{cs}/users/getByName/alice", "viewer"))[0] == 403
    _, queues = await call(client, "GET", f"{cs}/queues", "viewer")
    assert [q["identifier"] for q in queues] == ["support"]
    # agents carry their queue's permission id
    _, agents = await call(client, "GET", f"{cs}/queues/getByName/support/agents", "viewer")
    assert [a["id"] for a in agents] == [world.agents["alice"], world.agents["gina"]]
    # the target of AGENT/extension must be viewable too: gina's extension 107 is not
    gina = f"{cs}/queues/getByName/support/agents/{world.agents['gina']}/extension"
    assert (await call(client, "GET", gina, "viewer"))[0] == 403
    # the branch core server is not granted
    assert (await call(client, "GET", f"{P}/coreServers/getByName/branch", "viewer"))[0] == 403


async def test_grants_do_not_inherit(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    cs = f"{P}/coreServers/{world.cs}"
    assert (await call(client, "GET", cs, "csonly"))[0] == 200
    assert await call(client, "GET", f"{cs}/extensions", "csonly") == (200, [])
    assert await call(client, "GET", f"{cs}/users", "csonly") == (200, [])
    assert await call(client, "GET", f"{cs}/queues", "csonly") == (200, [])
    assert (await call(client, "GET", f"{cs}/extensions/getByName/100", "csonly"))[0] == 403


async def test_linked_user_sees_itself_its_server_and_its_extensions(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    cs = f"{P}/coreServers/{world.cs}"
    _, servers = await call(client, "GET", f"{P}/coreServers", "linked")
    assert [s["slug"] for s in servers] == ["default"]
    _, users = await call(client, "GET", f"{cs}/users", "linked")
    assert [u["userName"] for u in users] == ["alice"]
    _, extensions = await call(client, "GET", f"{cs}/users/getByName/alice/extensions", "linked")
    assert [e["extensionNumber"] for e in extensions] == ["100", "108"]
    assert [
        e["extensionNumber"] for e in (await call(client, "GET", f"{cs}/extensions", "linked"))[1]
    ] == ["100", "108"]
    assert (await call(client, "GET", f"{cs}/extensions/getByName/101", "linked"))[0] == 403
    assert (await call(client, "GET", f"{cs}/users/getByName/bob", "linked"))[0] == 403
    assert await call(client, "GET", f"{cs}/queues", "linked") == (200, [])
    assert (await call(client, "GET", f"{P}/coreServers/{world.branch_cs}", "linked"))[0] == 403


async def test_restricted_parent_answers_403_before_a_missing_child(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    assert await call(client, "GET", f"{P}/coreServers", "stranger") == (200, [])
    status, body = await call(
        client, "GET", f"{P}/coreServers/getByName/default/extensions/getByName/9999", "stranger"
    )
    assert (status, body["error"]) == (403, "forbidden")
    # but a missing parent is still 404 for a restricted account
    status, body = await call(
        client, "GET", f"{P}/coreServers/getByName/nope/extensions", "stranger"
    )
    assert (status, body["error"]) == (404, "core-server-not-found")
