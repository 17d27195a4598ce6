"""Bad input of every kind on the read paths: a 4xx JSON error, never a 500."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

import pytest

from bridge.keys import metrics_key
from tests.conftest import StartBridge
from tests.support import P, Seed, basic, poll_until
from tests.world import World

ODD_SEGMENTS = [
    "not-a-uuid",
    "ca5de6c4-17bd-46ce-95a2-8b29c7812ca4x",
    "CA5DE6C4",
    "%00",
    "%FF%FE",
    "%C3%28",
    "%E2%82",
    "..",
    "%2E%2E",
    "%2F",
    "a%2Fb",
    "%25",
    "%",
    "%zz",
    "😀",
    "%F0%9F%98%80",
    "' OR 1=1 --",
    "'; DROP TABLE extensions; --",
    '" OR ""="',
    "1;SELECT pg_sleep(5)",
    "%27%20OR%20%271%27%3D%271",
    "$(reboot)",
    "<script>alert(1)</script>",
    "\\x00",
    "a" * 4000,
    "%41" * 1000,
    "getByName",
    "+",
    " ",
    "%20",
    "%0D%0AX-Injected:%201",
]


@pytest.mark.parametrize(
    "template",
    [
        "coreServers/{s}",
        "coreServers/getByName/{s}/extensions",
        "coreServers/getByName/default/extensions/{s}",
        "coreServers/getByName/default/extensions/getByName/{s}",
        "coreServers/getByName/default/users/getByName/{s}/extensions",
        "coreServers/getByName/default/queues/getByName/{s}/agents",
        "coreServers/getByName/default/queues/getByName/support/agents/{s}/extension",
        "coreServers/getByName/default/{s}",
        "{s}/default",
    ],
)
async def test_odd_segments_get_a_json_4xx(
    world: World, start_bridge: StartBridge, template: str
) -> None:
    client = await start_bridge()
    for segment in ODD_SEGMENTS:
        url = P + "/" + template.format(s=segment)
        async with client.get(url, headers=basic("admin", "admin-pw")) as response:
            # ".." may be resolved by URL normalisation, to a path that exists
            assert 400 <= response.status < 500 or response.status == 200, (
                segment,
                response.status,
            )
            assert response.content_type == "application/json", segment
            body = await response.json()
            if response.status != 200:
                assert body["status"] == response.status
                assert set(body) == {"status", "error", "message", "details"}
            assert "X-Injected" not in response.headers


async def test_percent_encoded_names_are_decoded(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    # %31%30%30 is "100"
    url = f"{P}/coreServers/getByName/%64efault/extensions/getByName/%31%30%30"
    async with client.get(url, headers=basic("admin", "admin-pw")) as response:
        assert response.status == 200
        assert (await response.json())["id"] == world.ext["100"]


async def test_names_with_odd_characters_are_found_exactly(
    world: World, seed: Seed, start_bridge: StartBridge
) -> None:
    await seed.user(world.cs, "o'brien/sales 😀", display_name="O'Brien")
    client = await start_bridge()
    url = f"{P}/coreServers/getByName/default/users/getByName/o%27brien%2Fsales%20%F0%9F%98%80"
    async with client.get(url, headers=basic("admin", "admin-pw")) as response:
        assert response.status == 200
        assert (await response.json())["displayedName"] == "O'Brien"


@pytest.mark.parametrize(
    "query",
    ["limit=-1", "limit=abc", "offset=1.5", "limit=99999999999", "offset=%00", "limit=\u0661"],
)
async def test_bad_paging_is_400(world: World, start_bridge: StartBridge, query: str) -> None:
    client = await start_bridge()
    url = f"{P}/coreServers/{world.cs}/extensions?{query}"
    async with client.get(url, headers=basic("admin", "admin-pw")) as response:
        assert response.status == 400
        body = await response.json()
        assert body["error"] == "invalid-parameter"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_other_methods_are_405_with_allow(
    world: World, start_bridge: StartBridge, method: str
) -> None:
    client = await start_bridge()
    async with client.request(method, f"{P}/coreServers/{world.cs}/users", data=b"{") as response:
        assert response.status == 405
        assert response.headers["Allow"] == "GET"
        assert (await response.json())["error"] == "method-not-allowed"


async def test_a_huge_header_or_path_is_refused_cleanly(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    url = f"{P}/coreServers/getByName/" + "b" * 7000
    async with client.get(url, headers=basic("admin", "admin-pw")) as response:
        assert response.status == 404
        assert (await response.json())["error"] == "core-server-not-found"
    headers = {"Authorization": "Basic " + "A" * 7000}
    async with client.get(f"{P}/coreServers", headers=headers) as response:
        assert response.status == 401


@pytest.mark.parametrize(
    "request_line",
    [
        b"GET /communication_manager/rest/live/core Servers HTTP/1.1",
        b"GET /communication_manager/rest/live/coreServers/\xff\xfe HTTP/1.1",
        b"GET /communication_manager/rest/live/coreServers/a\x00b HTTP/1.1",
        b"GARBAGE",
        b"GET /communication_manager/rest/live/coreServers/" + b"a" * 40000 + b" HTTP/1.1",
    ],
)
async def test_malformed_http_gets_a_json_400(
    world: World, start_bridge: StartBridge, request_line: bytes
) -> None:
    client = await start_bridge()
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        secret = b"Authorization: Basic " + base64.b64encode(b"admin:admin-pw")
        writer.write(request_line + b"\r\nHost: x\r\n" + secret + b"\r\n\r\n")
        head, _, body = (await reader.read()).partition(b"\r\n\r\n")
    finally:
        writer.close()
        await writer.wait_closed()
    assert head.split(b" ")[1] == b"400"
    assert b"Content-Type: application/json" in head
    answer = json.loads(body)
    assert (answer["status"], answer["error"]) == (400, "bad-request")
    assert b"admin-pw" not in body and base64.b64encode(b"admin:admin-pw") not in body


async def test_segments_up_to_32k_are_json_404(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    url = f"{P}/coreServers/getByName/default/extensions/getByName/" + "9" * 20000
    async with client.get(url, headers=basic("admin", "admin-pw")) as response:
        assert response.status == 404
        assert (await response.json())["error"] == "extension-not-found"


async def test_a_body_cut_short_is_a_400_not_a_traceback(
    world: World, start_bridge: StartBridge, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that announces a body, sends part of it and goes away."""
    client = await start_bridge()
    path = f"{P}/coreServers/{world.cs}/extensions/getByName/100/enableDnd".encode()
    credentials = basic("admin", "admin-pw")["Authorization"].encode()
    for _ in range(3):
        _, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(
            b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: " + credentials + b"\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":'
        )
        await writer.drain()
        writer.close()
    metrics = client.app[metrics_key]
    async with asyncio.timeout(5):
        await poll_until(lambda: _answered(metrics, 3))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    statuses = {labels: n for labels, n in metrics.requests.values.items()}
    assert not [labels for labels in statuses if ("status", "500") in labels]


def _answered(metrics: Any, count: int) -> bool:
    return bool(sum(metrics.requests.values.values()) >= count)
