"""SIGTERM never waits on a client: an event stream whose client stopped reading is cut within
its deadline, and the process exits 0 with the audit trail written."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import device_state
from tests.support import P, Seed, basic
from tests.test_serve import serving
from tests.world import World


def masked_text_frame(payload: bytes) -> bytes:
    """A client's text frame (RFC 6455: clients mask what they send)."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = bytes((0x81, 0x80 | size))
    elif size < 1 << 16:
        head = bytes((0x81, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x81, 0x80 | 127)) + size.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def open_stream_and_stop_reading(
    port: int,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket client with the smallest receive buffers that reads nothing after the
    handshake."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
    key = base64.b64encode(os.urandom(16)).decode()
    authorization = basic("admin", "admin-pw")["Authorization"]
    writer.write(
        (
            "GET /communication_manager/ws/event HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {key}\r\nAuthorization: {authorization}\r\n\r\n"
        ).encode()
    )
    async with asyncio.timeout(10):
        head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def test_sigterm_cuts_a_stream_whose_client_stopped_reading(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, database_url: str, tmp_path: Path
) -> None:
    writer: asyncio.StreamWriter | None = None
    try:
        # a queue that never fills: the stream is not dropped as too slow before SIGTERM;
        # serving() then waits 30 s for exit 0, not aiohttp's 60 s graceful wait and 60 more
        async with serving(database_url, tmp_path, BRIDGE_EVENTS_QUEUE_SIZE="1000000") as served:
            async with asyncio.timeout(30):
                await pbx.wait_for_logins(1)
            _, writer = await open_stream_and_stop_reading(served.port)
            # a flood of events, until nothing more fits on the way to the client ...
            for n in range(30_000):
                pbx.push_event(device_state("PJSIP/100", "INUSE" if n % 2 else "NOT_INUSE"))
                if n % 1000 == 0:
                    await asyncio.sleep(0)  # let the bridge take the events in
            # ... then messages whose answers must wait for room
            values = ["extension.state", "extension.dnd"] + [f"{n:0>180}" for n in range(150)]
            filters = [{"property": "type", "value": v} for v in values]
            for _ in range(8):
                frame = json.dumps({"type": "filter", "filters": filters}).encode()
                writer.write(masked_text_frame(frame))
            await writer.drain()
            await asyncio.sleep(0.5)  # the bridge reads them (nothing to await from outside)
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    f"http://127.0.0.1:{served.port}{P}/coreServers/{pbx_world.cs}"
                    "/extensions/getByName/100/enableDnd",
                    headers=basic("admin", "admin-pw"),
                ) as response,
            ):
                assert response.status == 204
    finally:
        if writer is not None:
            writer.close()  # only now: it held its stream, unread, through SIGTERM
    async with seed.engine.connect() as connection:
        actions = (await connection.execute(sa.text("SELECT action FROM audit_events"))).all()
    assert [row.action for row in actions] == ["enableDnd"]
