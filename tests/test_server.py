"""The HTTP server around the app (bridge.server), over real sockets: what every answer's head
says, and how long a connection may sit without delivering a request."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import StartBridge
from tests.support import basic
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
