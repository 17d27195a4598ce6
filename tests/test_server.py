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
from tests.support import P, basic, poll_until
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


async def test_what_aiohttp_would_answer_in_plain_text_is_json_in_the_access_log(
    world: World, database_url: str, tmp_path: Path
) -> None:
    # targets that are not paths, malformed requests, expectations other than 100-continue
    async with serving(database_url, tmp_path) as (port, log, _):
        connect, tunnel = await whole_answer(
            port,
            b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n"
            b"Connection: close\r\n\r\n",
        )
        options, server_wide = await whole_answer(
            port, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        _, malformed = await whole_answer(port, b"GARBAGE\r\nHost: x\r\n\r\n")
        _, unmet = await whole_answer(
            port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nConnection: close\r\n\r\n"
        )
        assert (tunnel["status"], tunnel["error"]) == (405, "method-not-allowed")
        assert (server_wide["status"], server_wide["error"]) == (405, "method-not-allowed")
        assert b"\r\nAllow: GET, HEAD, POST" in connect and b"\r\nAllow: GET, HEAD, POST" in options
        assert (malformed["status"], malformed["error"]) == (400, "bad-request")
        assert (unmet["status"], unmet["error"]) == (417, "expectation-failed")
        lines = [
            r"GET /healthz 417 [\d.]+ ms - 127\.0\.0\.1$",
            r"CONNECT example\.org:443 405 [\d.]+ ms - 127\.0\.0\.1$",
            r"OPTIONS \* 405 [\d.]+ ms - 127\.0\.0\.1$",
            r"- - 400 [\d.]+ ms - 127\.0\.0\.1$",
        ]

        def logged() -> bool:
            text = log.read_text()
            return all(re.search(r" bridge\.access \[\S+\] " + line, text, re.M) for line in lines)

        async with asyncio.timeout(10):
            await poll_until(logged)


async def test_expect_100_continue_still_gets_its_interim_answer(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge()
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(
            b"POST /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: 2\r\nConnection: close\r\n\r\n"
        )
        async with asyncio.timeout(10):
            assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"{}")
        head, _, body = (await closed_by_server(reader)).partition(b"\r\n\r\n")
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 405 ") and json.loads(body)["error"] == "method-not-allowed"


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """What the server still sent before it closed the connection (bounded: it must close)."""
    async with asyncio.timeout(10):
        return await reader.read()


async def open_raw(
    client: TestClient[Any, Any],
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(client.host, client.port)


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
# keep-alive longer than the test may wait: a connection closed within it was closed by the
# header timeout
SLOW_IDLE = {"keepalive_timeout": 600.0, "header_timeout": 0.5}


async def read_answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    async with asyncio.timeout(10):
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"\r\nContent-Length: (\d+)", head)
        assert length is not None
        return head, await reader.readexactly(int(length[1]))


async def test_a_silent_connection_is_closed_after_the_header_timeout(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge(http=SLOW_IDLE)
    reader, writer = await open_raw(client)
    try:
        assert await closed_by_server(reader) == b""
    finally:
        writer.close()


async def trickle(writer: asyncio.StreamWriter, data: bytes, pause: float) -> None:
    """Write ``data`` a byte at a time, ``pause`` seconds apart, until done or refused."""
    for i in range(len(data)):
        try:
            writer.write(data[i : i + 1])
            await writer.drain()
        except ConnectionError:
            return
        await asyncio.sleep(pause)


async def test_a_head_trickled_a_byte_at_a_time_is_closed_after_the_header_timeout(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge(http=SLOW_IDLE)
    # the first request of a connection, then a later one on a kept-alive connection
    for before in (b"", HEALTHZ):
        reader, writer = await open_raw(client)
        writer.write(before)
        if before:
            head, _ = await read_answer(reader)
            assert head.startswith(b"HTTP/1.1 200 ")
        slow = asyncio.create_task(trickle(writer, HEALTHZ[:-2] + b"X-Pad: " + b"a" * 200, 0.1))
        try:
            assert await closed_by_server(reader) == b""
        finally:
            slow.cancel()
            writer.close()


async def test_an_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge(http={"keepalive_timeout": 0.5, "header_timeout": 600.0})
    reader, writer = await open_raw(client)
    try:
        writer.write(HEALTHZ)
        head, _ = await read_answer(reader)
        assert head.startswith(b"HTTP/1.1 200 ") and b"Connection: close" not in head
        assert await closed_by_server(reader) == b""
    finally:
        writer.close()


async def test_a_client_that_asks_in_time_keeps_its_connection(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge(http={"keepalive_timeout": 600.0, "header_timeout": 0.3})
    reader, writer = await open_raw(client)
    try:
        for _ in range(3):
            writer.write(HEALTHZ)
            head, body = await read_answer(reader)
            assert head.startswith(b"HTTP/1.1 200 ") and json.loads(body)["database"] is True
            await asyncio.sleep(0.6)  # idle longer than the header timeout, between requests
    finally:
        writer.close()


async def test_a_body_that_does_not_arrive_gets_408_and_the_connection_closed(
    world: World, start_bridge: StartBridge
) -> None:
    client = await start_bridge(http={"keepalive_timeout": 600.0, "body_timeout": 0.5})
    reader, writer = await open_raw(client)
    path = f"{P}/coreServers/{world.cs}/extensions/getByName/100/originate".encode()
    credentials = basic("admin", "admin-pw")["Authorization"].encode()
    try:
        writer.write(
            b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: " + credentials + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 40\r\n\r\n"
            b'{"destinationNumber": '
        )
        head, _, body = (await closed_by_server(reader)).partition(b"\r\n\r\n")
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 408 ") and b"\r\nConnection: close" in head
    answer = json.loads(body)
    assert (answer["status"], answer["error"]) == (408, "request-timeout")
