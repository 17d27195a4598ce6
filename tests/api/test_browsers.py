"""Browsers (docs/api.md, "CORS"): a foreign page's request is refused before anything is done,
request bodies are JSON only, and the event stream follows the same origin rule.

Browsers' headers are sent by hand, as a page at another origin would make the browser send
them (the cached Basic credentials included)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bridge.keys import hub_key
from bridge.pbxsim import SimulatedPbx
from tests.api.test_extension_actions import connected, ext_path
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.support import P, basic
from tests.world import World

EVIL = "https://evil.example"
WS = "/communication_manager/ws/event"
ADMIN = basic("admin", "admin-pw")


async def started(
    start_bridge: StartBridge, pbx: SimulatedPbx, **http: Any
) -> TestClient[Any, Any]:
    client = await start_bridge(ami=FAST_AMI, http=http)
    await connected(client, pbx)
    return client


async def answer(
    client: TestClient[Any, Any], method: str, path: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with client.request(method, path, **kwargs) as response:
        assert response.content_type == "application/json"
        return response.status, await response.json()


def own_origin(client: TestClient[Any, Any]) -> str:
    return f"http://127.0.0.1:{client.port}"


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", b'{"destinationNumber": "19005550100"}'),
        ("application/x-www-form-urlencoded", b"destinationNumber=19005550100"),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"'),
    ],
)
async def test_a_foreign_page_cannot_place_a_call_or_set_dnd(
    pbx_world: World,
    pbx: SimulatedPbx,
    start_bridge: StartBridge,
    content_type: str,
    data: bytes,
) -> None:
    client = await started(start_bridge, pbx)
    headers = {**ADMIN, "Origin": EVIL, "Content-Type": content_type}
    for action in ("originate", "enableDnd", "disableDnd"):
        status, body = await answer(
            client, "POST", f"{ext_path(pbx_world)}/{action}", data=data, headers=headers
        )
        assert (status, body["error"]) == (403, "origin-forbidden")
        # the same simple request without Origin (an old browser, a plugin) meets the media type
        no_origin = {**ADMIN, "Content-Type": content_type}
        status, body = await answer(
            client, "POST", f"{ext_path(pbx_world)}/{action}", data=data, headers=no_origin
        )
        assert (status, body["error"]) == (415, "unsupported-media-type")
    assert pbx.action_count("Originate") == pbx.action_count("DBPut") == 0
    assert pbx.action_count("DBDel") == 0


async def test_own_page_listed_origins_and_scripts_are_served(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx, cors_origins=("https://wall.example",))
    path = f"{ext_path(pbx_world)}/originate"
    body = {"destinationNumber": "200"}
    for origin in (own_origin(client), "https://wall.example", None):
        headers = dict(ADMIN) if origin is None else {**ADMIN, "Origin": origin}
        async with client.post(path, json=body, headers=headers) as response:
            assert response.status == 204, origin
    # an action without a body needs no content type (the seed page's enableDnd curl line)
    async with client.post(f"{ext_path(pbx_world)}/enableDnd", headers=ADMIN) as response:
        assert response.status == 204
    assert pbx.action_count("Originate") == 3


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},  # sandboxed frames, file: pages
        {"Origin": "http://127.0.0.1"},  # the bridge's host on another port
        {"Origin": "https://wall.example.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},  # a cross-site request that sent no Origin
    ],
)
async def test_foreign_origins_are_refused_on_every_route(
    world: World, start_bridge: StartBridge, headers: dict[str, str]
) -> None:
    client = await start_bridge(http={"cors_origins": ("https://wall.example",)})
    for path in (
        f"{P}/coreServers",
        "/healthz",
        "/openapi.json",
        "/communication_manager/rest/audit",
    ):
        status, body = await answer(client, "GET", path, headers={**ADMIN, **headers})
        assert (status, body["error"]) == (403, "origin-forbidden"), path
    # the order of decisions: the route and method first, then the origin, then credentials
    status, body = await answer(client, "GET", f"{P}/nothing", headers=headers)
    assert status == 404
    status, body = await answer(client, "DELETE", f"{P}/coreServers", headers=headers)
    assert status == 405
    status, body = await answer(client, "GET", f"{P}/coreServers", headers=headers)
    assert (status, body["error"]) == (403, "origin-forbidden")  # before 401


async def test_the_event_stream_refuses_a_foreign_page(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(WS, headers={**ADMIN, "Origin": EVIL})
    assert refused.value.status == 403
    assert len(client.app[hub_key]) == 0
    ws = await client.ws_connect(WS, headers={**ADMIN, "Origin": own_origin(client)})
    assert (await ws.receive_json(timeout=5)) == {"type": "ready"}
    await ws.close()


async def test_behind_a_trusted_proxy_the_forwarded_host_is_the_own_origin(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    panel = {**ADMIN, "Origin": "https://panel.example", "X-Forwarded-Host": "panel.example"}
    path = f"{ext_path(pbx_world)}/enableDnd"
    client = await started(start_bridge, pbx, trusted_proxies=("127.0.0.0/8",))
    async with client.post(path, headers=panel) as response:
        assert response.status == 204
    # on another port, the forwarded host names another origin
    elsewhere = {**panel, "X-Forwarded-Host": "panel.example:8443"}
    status, body = await answer(client, "POST", path, headers=elsewhere)
    assert (status, body["error"]) == (403, "origin-forbidden")
    assert pbx.action_count("DBPut") == 1


async def test_a_forwarded_host_from_anyone_else_is_ignored(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx, trusted_proxies=("192.0.2.0/24",))
    panel = {**ADMIN, "Origin": "https://panel.example", "X-Forwarded-Host": "panel.example"}
    status, body = await answer(client, "POST", f"{ext_path(pbx_world)}/enableDnd", headers=panel)
    assert (status, body["error"]) == (403, "origin-forbidden")
    assert pbx.action_count("DBPut") == 0


async def test_an_undecodable_origin_is_a_foreign_one(
    world: World, start_bridge: StartBridge
) -> None:
    """Bytes that are not UTF-8 in Origin: a 403 like any foreign page, never a 500."""
    port = (await start_bridge()).port
    assert port is not None
    for path in (b"/healthz", b"/openapi.json", f"{P}/coreServers".encode()):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nOrigin: http://\xff\xfe\r\n"
            b"Connection: close\r\n\r\n"
        )
        async with asyncio.timeout(10):
            answer = await reader.read()
        writer.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 403 "), answer
        assert json.loads(body)["error"] == "origin-forbidden"


# -- DNS rebinding -------------------------------------------------------------------------------
# A page at http://rebind.example:58080 whose name the attacker then points at 127.0.0.1 is, to
# the browser, the bridge's own origin: its requests carry that Host. On a bridge that listens on
# loopback, only names that cannot be made to point there are served.
REBOUND = "rebind.example"


async def test_a_rebound_name_is_refused_on_every_path(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    host = f"{REBOUND}:{client.port}"
    page = {**ADMIN, "Host": host, "Origin": f"http://{host}"}
    for method, path in (
        ("GET", f"{P}/coreServers/{pbx_world.cs}/extensions"),
        ("POST", f"{ext_path(pbx_world)}/enableDnd"),
        ("GET", "/healthz"),
        ("GET", "/openapi.json"),
        ("GET", "/panel/"),
        ("GET", f"{P}/me"),
    ):
        status, body = await answer(client, method, path, headers=page)
        assert (status, body["error"]) == (403, "host-forbidden"), path
        assert "allowed_hosts" in body["message"]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(WS, headers=page)
    assert refused.value.status == 403
    # a same-origin GET from the page sends no Origin: the name alone decides
    status, body = await answer(client, "GET", "/healthz", headers={"Host": host})
    assert (status, body["error"]) == (403, "host-forbidden")
    assert pbx.action_count("DBPut") == 0


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "LOCALHOST.", "[::1]", "wall.localhost", "switchboard", "10.0.0.7"],
)
async def test_addresses_localhost_and_single_label_names_are_served(
    world: World, start_bridge: StartBridge, host: str
) -> None:
    client = await start_bridge()
    status, _ = await answer(
        client, "GET", f"{P}/coreServers", headers={**ADMIN, "Host": f"{host}:{client.port}"}
    )
    assert status == 200


async def test_allowed_hosts_are_served(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge(http={"allowed_hosts": ("pbx.example.com",)})
    for host in ("pbx.example.com", "PBX.Example.COM.", "pbx.example.com:8443"):
        status, _ = await answer(client, "GET", f"{P}/coreServers", headers={**ADMIN, "Host": host})
        assert status == 200, host
    status, body = await answer(client, "GET", "/healthz", headers={"Host": REBOUND})
    assert (status, body["error"]) == (403, "host-forbidden")


async def test_a_trusted_proxy_chooses_the_host(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge(http={"trusted_proxies": ("127.0.0.0/8",)})
    status, _ = await answer(client, "GET", "/healthz", headers={"Host": "pbx.example.com"})
    assert status == 200


async def test_listening_beyond_loopback_serves_any_name_unless_hosts_are_listed(
    world: World, start_bridge: StartBridge
) -> None:
    # the setting only (the test server listens on 127.0.0.1 whatever it says)
    client = await start_bridge(http={"host": "192.0.2.10"})
    status, _ = await answer(client, "GET", "/healthz", headers={"Host": "pbx.example.com"})
    assert status == 200
    client = await start_bridge(http={"host": "192.0.2.10", "allowed_hosts": ("pbx.example.com",)})
    status, body = await answer(client, "GET", "/healthz", headers={"Host": REBOUND})
    assert (status, body["error"]) == (403, "host-forbidden")
