"""The HTTP server around the app (bridge.server), over real sockets: what every answer's head
says, and how long a connection may sit without delivering a request."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import StartBridge
from tests.support import basic, poll_until
from tests.test_serve import serving
from tests.world import World


async def answer_head(client: TestClient[Any, Any], request: bytes) -> bytes:
    """Write ``request`` on a fresh connection and read the head of the answer."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(request)
        async with asyncio.timeout(10):
            return await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()


async def whole_answer(port: int, request: bytes) -> tuple[bytes, dict[str, Any]]:
    """Write ``request`` on a fresh connection, read until the server closes it: the head and
    the JSON body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        async with asyncio.timeout(10):
            head, _, body = (await reader.read()).partition(b"\r\n\r\n")
    finally:
        writer.close()
    assert b"\r\nContent-Type: application/json" in head
    answer = json.loads(body)
    assert set(answer) == {"status", "error", "message", "details"}
    assert head.split(b" ")[1] == str(answer["status"]).encode()
    return head, answer


def server_header(head: bytes) -> str | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"server":
            return value.strip().decode()
    return None


async def test_the_server_header_names_no_version(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    async with client.get("/healthz") as ok:
        assert ok.status == 200
        assert ok.headers["Server"] == "bridge"
    async with client.get("/nowhere") as error:
        assert error.status == 404
        assert error.headers["Server"] == "bridge"
    upgrade = await answer_head(
        client,
        b"GET /communication_manager/ws/event HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + b"".join(f"{k}: {v}\r\n".encode() for k, v in basic("admin", "admin-pw").items())
        + b"\r\n",
    )
    assert upgrade.startswith(b"HTTP/1.1 101 ")
    assert server_header(upgrade) == "bridge"
    malformed = await answer_head(client, b"GARBAGE\r\n\r\n")
    assert malformed.split(b" ")[1] == b"400"
    assert server_header(malformed) == "bridge"


async def test_targets_that_are_not_paths_and_malformed_requests_answer_json_in_the_access_log(
    world: World, database_url: str, tmp_path: Path
) -> None:
    async with serving(database_url, tmp_path) as (port, log):
        connect, tunnel = await whole_answer(
            port,
            b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n"
            b"Connection: close\r\n\r\n",
        )
        options, server_wide = await whole_answer(
            port, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        _, malformed = await whole_answer(port, b"GARBAGE\r\nHost: x\r\n\r\n")
        assert (tunnel["status"], tunnel["error"]) == (405, "method-not-allowed")
        assert (server_wide["status"], server_wide["error"]) == (405, "method-not-allowed")
        assert b"\r\nAllow: GET, HEAD, POST" in connect and b"\r\nAllow: GET, HEAD, POST" in options
        assert (malformed["status"], malformed["error"]) == (400, "bad-request")
        lines = [
            r"CONNECT example\.org:443 405 [\d.]+ ms - 127\.0\.0\.1$",
            r"OPTIONS \* 405 [\d.]+ ms - 127\.0\.0\.1$",
            r"- - 400 [\d.]+ ms - 127\.0\.0\.1$",
        ]

        def logged() -> bool:
            text = log.read_text()
            return all(re.search(r" bridge\.access \[\S+\] " + line, text, re.M) for line in lines)

        async with asyncio.timeout(10):
            await poll_until(logged)
