"""``bridge serve`` as a process: systemd readiness, SIGTERM during traffic, SIGHUP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NamedTuple

import aiohttp

from bridge.pbxsim import SimulatedPbx
from tests.support import P, Seed, basic, free_port
from tests.world import World


class NotifySocket:
    """What systemd listens on for sd_notify messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)

    async def receive(self) -> str:
        loop = asyncio.get_running_loop()
        data = await loop.sock_recv(self.sock, 4096)
        return data.decode()

    def close(self) -> None:
        self.sock.close()


# `bridge serve` under a lowered file limit (soft and hard), as a smaller machine would run it
LIMITED = (
    "import resource, sys; limit = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)); "
    "from bridge.cli import main; sys.exit(main(['serve']))"
)


async def start_serve(
    database_url: str,
    port: int,
    notify: NotifySocket,
    log: Path,
    file_limit: int | None = None,
    **env: str,
) -> asyncio.subprocess.Process:
    command = ["-m", "bridge", "serve"] if file_limit is None else ["-c", LIMITED, str(file_limit)]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        env={
            **os.environ,
            "BRIDGE_DATABASE_URL": database_url,
            "BRIDGE_HTTP_PORT": str(port),
            "NOTIFY_SOCKET": str(notify.path),
            "BRIDGE_LOG_FILE": str(log),
            "BRIDGE_AMI_ACTION_TIMEOUT": "20",
            **env,
        },
    )


class Served(NamedTuple):
    port: int
    log: Path
    process: asyncio.subprocess.Process


@contextlib.asynccontextmanager
async def stopped_at_the_end(
    process: asyncio.subprocess.Process,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """SIGTERM after the block, and the process must exit 0 within 30 s; killed if the block
    fails or the process does not stop."""
    try:
        yield process
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def serving(
    database_url: str, tmp_path: Path, file_limit: int | None = None, **env: str
) -> AsyncIterator[Served]:
    """A ``bridge serve`` process, ready to answer: yields its port, log file and process.
    SIGTERM on the way out, and it must exit 0 (within 30 s); killed if it does not."""
    notify = NotifySocket(tmp_path / "notify")
    log = tmp_path / "bridge.log"
    port = free_port()
    process = await start_serve(database_url, port, notify, log, file_limit, **env)
    try:
        async with stopped_at_the_end(process):
            async with asyncio.timeout(30):
                ready = await notify.receive()
            assert ready.startswith("READY=1")
            yield Served(port, log, process)
    finally:
        notify.close()


async def test_sigterm_answers_every_in_flight_request_and_exits_0(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, database_url: str, tmp_path: Path
) -> None:
    notify = NotifySocket(tmp_path / "notify")
    port = free_port()
    log = tmp_path / "bridge.log"
    process = await start_serve(database_url, port, notify, log)
    base = f"http://127.0.0.1:{port}{P}/coreServers/{pbx_world.cs}/extensions"
    try:
        async with asyncio.timeout(30):
            ready = await notify.receive()
        assert ready.startswith("READY=1")
        async with asyncio.timeout(10):
            await pbx.wait_for_logins(1)
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(
                f"http://127.0.0.1:{port}/communication_manager/ws/event",
                headers=basic("admin", "admin-pw"),
            )
            assert (await ws.receive_json(timeout=5))["type"] == "ready"
            pbx.stall("Originate")

            async def originate(n: int) -> int:
                async with session.post(
                    f"{base}/getByName/100/originate",
                    json={"destinationNumber": f"20{n}"},
                    headers=basic("admin", "admin-pw"),
                ) as response:
                    await response.read()
                    return response.status

            in_flight = [asyncio.create_task(originate(n)) for n in range(8)]
            async with asyncio.timeout(10):
                await pbx.wait_for_action("Originate", count=8)
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                stopping = await notify.receive()
            assert stopping.startswith("STOPPING=1")
            async with asyncio.timeout(10):
                close = await ws.receive()
                while close.type is aiohttp.WSMsgType.TEXT:  # events sent before the close
                    close = await ws.receive()
            assert close.type is aiohttp.WSMsgType.CLOSE and close.data == 1001
            await asyncio.sleep(0.2)  # they are still waiting on Asterisk
            assert not any(task.done() for task in in_flight)
            pbx.unstall("Originate")
            statuses = await asyncio.gather(*in_flight)
            assert statuses == [204] * 8
            await ws.close()
        async with asyncio.timeout(60):
            assert await process.wait() == 0
        assert pbx.action_count("Originate") == 8
        assert pbx.action_count("Logoff") == 1  # logged off AMI on the way out
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        notify.close()
    text = log.read_text()
    assert "admin-pw" not in text and "bridge-secret" not in text
    assert "Authorization" not in text and "YWRtaW4" not in text  # base64 of "admin:"
    assert " 204 " in text and "AMI default Originate ok" in text


async def test_sighup_reopens_the_log_file(world: World, database_url: str, tmp_path: Path) -> None:
    rotated = tmp_path / "bridge.log.1"
    async with serving(database_url, tmp_path) as (port, log, process):
        log.rename(rotated)  # what logrotate does
        process.send_signal(signal.SIGHUP)
        async with aiohttp.ClientSession() as session, asyncio.timeout(10):
            while not log.exists() or "/healthz" not in log.read_text():
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    await response.read()
                await asyncio.sleep(0.05)
    assert "listening on" in rotated.read_text()
    assert "stopped" in log.read_text()
