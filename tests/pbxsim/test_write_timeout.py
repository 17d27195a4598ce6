"""The simulated PBX's ``write_timeout``: Asterisk's manager.conf ``writetimeout`` (main/manager.c
``send_string`` writes with that inactivity timeout and ends the session when a write makes no
progress), so a client that stops reading its events is dropped; one that reads is kept."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from bridge.pbxsim import SimulatedPbx
from bridge.pbxsim.events import event
from tests.pbxsim.client import AmiTestClient

EVENT = event("UserEvent", "user", [("UserEvent", "Load"), ("Padding", "x" * 200)])


async def stalled_client(pbx: SimulatedPbx) -> AmiTestClient:
    """A logged-in client with a small receive buffer that will read no more."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", pbx.port))
    reader, writer = await asyncio.open_connection(sock=sock)
    client = AmiTestClient(reader, writer)
    await client.login()
    await client.until("Event", "SuccessfulAuth")
    return client


async def reading(client: AmiTestClient) -> int:
    """Read until the connection ends; how many messages."""
    count = 0
    try:
        while True:
            await client.message()
            count += 1
    except (EOFError, ConnectionError):
        return count


async def push_until(pbx: SimulatedPbx, done: Callable[[], bool], limit: float = 10.0) -> None:
    """Raise events, letting the loop run between bursts, until ``done()`` or ``limit`` s."""
    loop = asyncio.get_running_loop()
    until = loop.time() + limit
    while not done() and loop.time() < until:
        for _ in range(50):
            pbx.push_event(EVENT)
        await asyncio.sleep(0.001)


async def test_a_client_that_stops_reading_is_dropped_and_one_that_reads_is_kept() -> None:
    async with SimulatedPbx(login_failure_delay=0.01, write_timeout=0.1) as pbx:
        stalled = await stalled_client(pbx)
        reader = await AmiTestClient.connect(pbx.port)
        await reader.login()
        count = asyncio.create_task(reading(reader))
        [stalled_session, reading_session] = pbx.sessions()
        await push_until(pbx, lambda: pbx.write_timeouts > 0)
        assert pbx.write_timeouts == 1
        assert stalled_session.write_timed_out
        await pbx.wait_until(lambda: pbx.sessions() == [reading_session])
        # the dropped client finds its connection ended once it reads what had arrived
        assert await asyncio.wait_for(reading(stalled), 10) > 0
        await stalled.close()
        await reader.close()
        assert await count > 0
        assert not reading_session.write_timed_out


async def test_without_a_write_timeout_a_client_that_stops_reading_is_kept() -> None:
    async with SimulatedPbx(login_failure_delay=0.01) as pbx:
        stalled = await stalled_client(pbx)
        [session] = pbx.sessions()
        buffered = session.writer.transport.get_write_buffer_size
        await push_until(pbx, lambda: buffered() > 1 << 20)
        assert buffered() > 1 << 20  # the kernel took no more for a while
        await asyncio.sleep(0.3)
        assert pbx.sessions() == [session]
        assert pbx.write_timeouts == 0
        await stalled.close()
