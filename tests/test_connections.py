"""Connection caps (bridge.connections): one client holding more sockets than the server may
open files leaves the service reachable for others, and the log says so in a line or two."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import socket
from pathlib import Path

import pytest

from bridge.connections import (
    BurstLog,
    ConnectionLimiter,
    address_key,
    default_max_connections,
)
from bridge.listener import listening_sockets
from tests.support import poll_until
from tests.test_serve import serving

FILE_LIMIT = 200  # the serve process's (soft and hard)
IDLE = 300  # sockets one client opens and never writes on: more than that limit

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def open_idle(port: int, count: int) -> list[Connection]:
    """``count`` connections from 127.0.0.1 that send nothing (those not accepted in time by
    the server's kernel are left out). Opened 50 at a time, fewer than the listen backlog: a
    kernel whose accept queue overflows drops handshakes it completes later, or never."""

    async def connect() -> Connection:
        async with asyncio.timeout(5):
            return await asyncio.open_connection("127.0.0.1", port)

    opened: list[Connection | BaseException] = []
    for start in range(0, count, 50):
        batch = (connect() for _ in range(min(50, count - start)))
        opened += await asyncio.gather(*batch, return_exceptions=True)
    return [c for c in opened if not isinstance(c, BaseException)]


async def healthz_from_elsewhere(port: int) -> bytes:
    """GET /healthz from another client address (any 127/8 address is loopback on Linux)."""
    async with asyncio.timeout(10):
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, local_addr=("127.0.0.2", 0)
        )
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return await reader.read()
        finally:
            writer.close()


async def all_but_closed_by_server(connections: list[Connection], kept: int) -> None:
    """Wait until the server has closed all but ``kept`` of ``connections``, without a byte
    (nothing is read here: at_eof() is an end of stream with nothing before it)."""
    async with asyncio.timeout(10):
        await poll_until(lambda: sum(r.at_eof() for r, _ in connections) >= len(connections) - kept)


async def all_closed_by_server(connections: list[Connection]) -> None:
    async with asyncio.timeout(10):
        for reader, _ in connections:
            assert await reader.read() == b""
    for _, writer in connections:
        writer.close()


async def test_a_client_holding_more_sockets_than_the_file_limit_leaves_the_service_reachable(
    database_url: str, tmp_path: Path
) -> None:
    async with serving(
        database_url,
        tmp_path,
        FILE_LIMIT,
        BRIDGE_HTTP_MAX_CONNECTIONS_PER_ADDRESS="20",
        BRIDGE_HTTP_HEADER_TIMEOUT="30",  # the ones let in stay open while the test runs
    ) as (port, log, _):
        idle = await open_idle(port, IDLE)
        try:
            assert len(idle) == IDLE
            assert (await healthz_from_elsewhere(port)).startswith(b"HTTP/1.1 200 ")
            await all_but_closed_by_server(idle, 20)  # those past the cap, at once
        finally:
            for _, writer in idle:
                writer.close()
    text = log.read_text()
    assert "Traceback" not in text and "accept()" not in text
    assert 1 <= text.count("refusing connections: ") <= 3
    assert "(cap 20 per address)" in text
    assert re.search(r"refused \d+ connections in [\d.]+ s", text)


async def test_a_burst_past_the_cap_is_refused_as_it_is_accepted(
    database_url: str, tmp_path: Path
) -> None:
    """Connections queued while the server was busy (here: stopped) and then accepted in one
    go: those past the cap are closed by the accept itself, so a burst larger than what the
    file limit leaves over never runs ``accept()`` out of files. (Refused a step later, by the
    connection's protocol, a burst of 120 held 120 files at once, more than the limit of 100.)"""
    async with serving(
        database_url,
        tmp_path,
        100,
        BRIDGE_HTTP_MAX_CONNECTIONS_PER_ADDRESS="10",
        BRIDGE_HTTP_HEADER_TIMEOUT="30",  # the ones let in stay open while the test runs
    ) as (port, log, process):
        process.send_signal(signal.SIGSTOP)
        try:
            idle = await open_idle(port, 120)  # the kernel queues them (the backlog is 128)
        finally:
            process.send_signal(signal.SIGCONT)
        try:
            assert len(idle) == 120
            await all_but_closed_by_server(idle, 10)
            assert (await healthz_from_elsewhere(port)).startswith(b"HTTP/1.1 200 ")
        finally:
            for _, writer in idle:
                writer.close()
    text = log.read_text()
    assert "Traceback" not in text and "accept()" not in text
    assert "(cap 10 per address)" in text


async def test_the_listening_socket_admits_at_the_accept_and_closes_the_rest() -> None:
    limiter = ConnectionLimiter(max_connections=10, per_address=2)
    (listening,) = listening_sockets("127.0.0.1", 0, limiter)
    with listening:
        listening.listen(8)
        listening.setblocking(False)
        clients = [socket.create_connection(listening.getsockname()) for _ in range(5)]
        try:
            admitted = [listening.accept(), listening.accept()]
            with pytest.raises(BlockingIOError):  # the other three closed, none left waiting
                listening.accept()
            for conn, peer in admitted:
                assert limiter.claim(peer) == "127.0.0.1" and limiter.claim(peer) is None
                conn.close()
            assert limiter.open == 2  # released by the connections' protocols, not here
            for client in clients[2:]:
                client.settimeout(5)
                assert client.recv(1) == b""  # closed without a byte
        finally:
            for client in clients:
                client.close()


async def test_accept_running_out_of_files_is_logged_once_per_burst(
    database_url: str, tmp_path: Path
) -> None:
    # a cap above what the file limit allows: accept() runs out of file descriptors while all
    # the idle ones are open. The header timeout is long enough for all of them to be opened
    # before the first is closed, even on a loaded machine (at 0.5 s, a slow CI run opened
    # them no faster than they were closed, and accept() never ran out).
    async with serving(
        database_url,
        tmp_path,
        FILE_LIMIT,
        BRIDGE_HTTP_MAX_CONNECTIONS="1000",
        BRIDGE_HTTP_MAX_CONNECTIONS_PER_ADDRESS="0",
        BRIDGE_HTTP_HEADER_TIMEOUT="3",
    ) as (port, log, _):
        idle = await open_idle(port, IDLE)
        assert len(idle) == IDLE
        async with asyncio.timeout(10):
            await poll_until(lambda: "accept() failed (" in log.read_text())
        # the server comes back once the header timeout has closed the idle ones
        assert (await healthz_from_elsewhere(port)).startswith(b"HTTP/1.1 200 ")
        await all_closed_by_server(idle)
    text = log.read_text()
    assert "Traceback" not in text and "out of system resource" not in text
    assert "http.max_connections 1000 is more than the file limit 200 allows" in text
    assert 1 <= text.count("accept() failed (Too many open files)") <= 3
    assert re.search(r"accept\(\) failed \d+ times in [\d.]+ s", text)


@pytest.mark.parametrize(
    ("files", "connections"),
    [(200, 50), (1024, 768), (4096, 3072), (65536, 49152)],
)
def test_the_default_cap_leaves_room_under_the_file_limit(files: int, connections: int) -> None:
    assert default_max_connections(files) == connections


def test_ipv6_clients_are_counted_by_their_64() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.7") == address_key("192.0.2.7") == "192.0.2.7"


async def test_caps_per_address_and_in_all_with_exempt_addresses() -> None:
    limiter = ConnectionLimiter(5, 2, exempt=lambda host: host == "192.0.2.1")
    first = [limiter.admit("192.0.2.9") for _ in range(3)]
    assert first[2] is None and first[0] is not None  # two per address
    assert all(limiter.admit("192.0.2.1") for _ in range(3))  # exempt: only the total cap
    assert limiter.admit("192.0.2.8") is None  # five open in all
    assert first[0] is not None
    limiter.release(first[0])
    assert limiter.admit("192.0.2.8") is not None


async def test_a_burst_logs_its_first_event_and_a_summary_once_quiet(
    caplog: pytest.LogCaptureFixture,
) -> None:
    burst = BurstLog("refused %d connections in %.1f s", quiet=0.2)
    with caplog.at_level(logging.WARNING, logger="bridge.http"):
        for n in range(50):
            burst.note("refusing connections: %d", n)
        async with asyncio.timeout(10):
            await poll_until(lambda: len(caplog.records) == 2)
        burst.note("refusing connections: %d", 50)  # a new burst
        burst.close()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0::2] == ["refusing connections: 0", "refusing connections: 50"]
    assert [line.partition(" in ")[0] for line in lines[1::2]] == [
        "refused 50 connections",
        "refused 1 connections",
    ]
