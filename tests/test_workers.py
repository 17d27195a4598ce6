"""``bridge serve`` with ``[http] workers = 2``: real processes on one port, a supervisor, the
simulated PBX over TCP, SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bridge.migrate import head_revision
from bridge.pbxsim import SimulatedPbx
from bridge.settings import load_settings
from bridge.workers import settings_from_json, settings_to_json
from tests.api.test_event_stream import device_state
from tests.support import P, Seed, basic, free_port, poll_until
from tests.test_serve import NotifySocket, start_serve, stopped_at_the_end
from tests.world import World

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ADMIN = basic("admin", "admin-pw")
HEAD = head_revision()


async def worker_of(session: aiohttp.ClientSession, url: str) -> tuple[str, dict[str, object]]:
    """Which worker answered a GET of ``url`` on a new connection (``INDEX/PID``), and what."""
    async with session.get(url, headers={**ADMIN, "Connection": "close"}) as response:
        assert response.status == 200
        return response.headers["X-Bridge-Worker"], await response.json()


async def workers_answering(session: aiohttp.ClientSession, url: str, count: int) -> set[str]:
    """Asks until ``count`` workers have answered (new connections spread over them)."""
    seen: set[str] = set()
    async with asyncio.timeout(30):
        while len(seen) < count:
            # a connection queued on a worker as it is killed is lost with it: ask again
            with contextlib.suppress(aiohttp.ClientConnectionError):
                seen.add((await worker_of(session, url))[0])
    return seen


async def stream_on(
    session: aiohttp.ClientSession, port: int, worker: str
) -> aiohttp.ClientWebSocketResponse:
    """An event stream served by ``worker`` (new ones until one lands there)."""
    async with asyncio.timeout(30):
        while True:
            ws = await session.ws_connect(
                f"http://127.0.0.1:{port}/communication_manager/ws/event", headers=ADMIN
            )
            # the 101 answer's headers (aiohttp keeps them on the response it upgraded)
            if ws._response.headers["X-Bridge-Worker"] == worker:
                assert (await ws.receive_json(timeout=10))["type"] == "ready"
                return ws
            await ws.close()


async def next_state(ws: aiohttp.ClientWebSocketResponse, state: str) -> None:
    async with asyncio.timeout(10):
        while True:
            event = await ws.receive_json()
            if event["type"] == "extension.state" and event["deviceState"] == state:
                return


@contextlib.asynccontextmanager
async def two_workers(
    database_url: str, tmp_path: Path, notify: NotifySocket
) -> AsyncIterator[tuple[int, Path, asyncio.subprocess.Process]]:
    log = tmp_path / "bridge.log"
    port = free_port()
    process = await start_serve(database_url, port, notify, log, BRIDGE_HTTP_WORKERS="2")
    async with stopped_at_the_end(process):
        async with asyncio.timeout(60):
            ready = await notify.receive()
        assert ready.startswith("READY=1")
        yield port, log, process


@SQLITE
async def test_two_workers_share_the_port_and_the_directory(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, database_url: str, tmp_path: Path
) -> None:
    notify = NotifySocket(tmp_path / "notify")
    try:
        async with two_workers(database_url, tmp_path, notify) as (port, log, process):
            url = f"http://127.0.0.1:{port}{P}/coreServers/{pbx_world.cs}"
            async with aiohttp.ClientSession() as session:
                workers = await workers_answering(session, url, 2)
                assert {name.split("/")[0] for name in workers} == {"1", "2"}
                pids = {int(name.split("/")[1]) for name in workers}
                assert process.pid not in pids  # the supervisor serves nothing itself
                async with asyncio.timeout(10):
                    await pbx.wait_for_logins(2)  # an AMI link each

                await seed.sql(
                    "UPDATE core_servers SET name = 'Renamed PBX' WHERE id = :id", id=pbx_world.cs
                )
                renamed: set[str] = set()
                async with asyncio.timeout(10):
                    while renamed != workers:
                        worker, body = await worker_of(session, url)
                        if body["name"] == "Renamed PBX":
                            renamed.add(worker)
        async with asyncio.timeout(5):
            stopping = await notify.receive()
        assert stopping.startswith("STOPPING=1")
    finally:
        notify.close()
    assert pbx.action_count("Logoff") == 2  # each worker logged off on the way out
    text = log.read_text()
    assert "2 workers listening on" in text and "stopped" in text
    assert "admin-pw" not in text and "bridge-secret" not in text


@SQLITE
async def test_a_killed_worker_is_started_again_and_the_other_keeps_serving(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, database_url: str, tmp_path: Path
) -> None:
    notify = NotifySocket(tmp_path / "notify")
    try:
        async with two_workers(database_url, tmp_path, notify) as (port, log, _process):
            url = f"http://127.0.0.1:{port}{P}/coreServers/{pbx_world.cs}"
            async with aiohttp.ClientSession() as session:
                victim, survivor = sorted(await workers_answering(session, url, 2))
                async with asyncio.timeout(10):
                    await pbx.wait_for_logins(2)
                ws = await stream_on(session, port, survivor)
                os.kill(int(victim.split("/")[1]), signal.SIGKILL)

                pbx.push_event(device_state("PJSIP/100", "INUSE"))
                await next_state(ws, "INUSE")  # the survivor's stream goes on
                async with asyncio.timeout(30):
                    await pbx.wait_for_logins(3)  # the new worker logged in too
                after = await workers_answering(session, url, 2)
                assert survivor in after and victim not in after
                assert {name.split("/")[0] for name in after} == {"1", "2"}
                pbx.push_event(device_state("PJSIP/100", "NOT_INUSE"))
                await next_state(ws, "NOT_INUSE")
                await ws.close()
        notes = []
        with contextlib.suppress(BlockingIOError):
            while True:
                notes.append(notify.sock.recv(4096).decode())
    finally:
        notify.close()
    assert [note.split("\n")[0] for note in notes] == ["STOPPING=1"]  # READY=1 came once
    text = log.read_text()
    pid = victim.split("/")[1]
    assert f"worker 1 (pid {pid}) was killed by SIGKILL" in text
    assert "starting it again in" in text


@SQLITE
async def test_a_port_in_use_stops_the_start_with_one_message(
    database_url: str, tmp_path: Path
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bridge",
            "serve",
            env={
                **os.environ,
                "BRIDGE_DATABASE_URL": database_url,
                "BRIDGE_HTTP_PORT": str(port),
                "BRIDGE_HTTP_WORKERS": "2",
            },
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(30):
            _, stderr = await process.communicate()
    assert process.returncode == 2
    assert stderr.decode().splitlines() == [
        f"bridge: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


@SQLITE
async def test_sigterm_drains_every_worker_and_exits_0(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, database_url: str, tmp_path: Path
) -> None:
    notify = NotifySocket(tmp_path / "notify")
    log = tmp_path / "bridge.log"
    port = free_port()
    process = await start_serve(database_url, port, notify, log, BRIDGE_HTTP_WORKERS="2")
    base = f"http://127.0.0.1:{port}{P}/coreServers/{pbx_world.cs}"
    try:
        async with asyncio.timeout(60):
            assert (await notify.receive()).startswith("READY=1")
        async with aiohttp.ClientSession() as session:
            await workers_answering(session, base, 2)
            async with asyncio.timeout(10):
                await pbx.wait_for_logins(2)
            pbx.stall("Originate")

            async def originate(n: int) -> tuple[int, str]:
                async with session.post(
                    f"{base}/extensions/getByName/100/originate",
                    json={"destinationNumber": f"20{n}"},
                    headers={**ADMIN, "Connection": "close"},  # a new connection each
                ) as response:
                    await response.read()
                    return response.status, response.headers["X-Bridge-Worker"]

            # until both workers wait on Asterisk (each has its own AMI session)
            in_flight: list[asyncio.Task[tuple[int, str]]] = []
            async with asyncio.timeout(30):
                while len({record.session for record in pbx.actions("Originate")}) < 2:
                    in_flight.append(asyncio.create_task(originate(len(in_flight))))
                    await pbx.wait_for_action("Originate", count=len(in_flight))
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                assert (await notify.receive()).startswith("STOPPING=1")
            await asyncio.sleep(0.2)  # they are still waiting on Asterisk
            assert not any(task.done() for task in in_flight)
            pbx.unstall("Originate")
            answers = await asyncio.gather(*in_flight)
        assert [status for status, _ in answers] == [204] * len(in_flight)
        assert len({worker for _, worker in answers}) == 2
        async with asyncio.timeout(60):
            assert await process.wait() == 0
        assert pbx.action_count("Logoff") == 2
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        notify.close()


@SQLITE
async def test_a_worker_that_keeps_failing_waits_longer_each_time(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, database_url: str, tmp_path: Path
) -> None:
    notify = NotifySocket(tmp_path / "notify")
    try:
        async with two_workers(database_url, tmp_path, notify) as (port, log, _process):
            url = f"http://127.0.0.1:{port}{P}/coreServers/{pbx_world.cs}"
            async with aiohttp.ClientSession() as session:
                victim, survivor = sorted(await workers_answering(session, url, 2))
                # a new worker now refuses the database (as after a botched downgrade)
                await seed.sql("UPDATE alembic_version SET version_num = '0001'")
                os.kill(int(victim.split("/")[1]), signal.SIGKILL)
                async with asyncio.timeout(60):
                    while log.read_text().count("exited with code 2") < 3:
                        assert (await worker_of(session, url))[0] == survivor
                        await asyncio.sleep(0.1)
                await seed.sql("UPDATE alembic_version SET version_num = :head", head=HEAD)
                after = await workers_answering(session, url, 2)
                assert survivor in after and victim not in after
    finally:
        notify.close()
    pauses = re.findall(r"starting it again in ([0-9.]+) s", log.read_text())
    assert [float(pause) for pause in pauses[:4]] == [0.5, 1.0, 2.0, 4.0]


@SQLITE
async def test_workers_stop_when_the_supervisor_is_gone(
    pbx_world: World, pbx: SimulatedPbx, database_url: str, tmp_path: Path
) -> None:
    notify = NotifySocket(tmp_path / "notify")
    log = tmp_path / "bridge.log"
    port = free_port()
    process = await start_serve(database_url, port, notify, log, BRIDGE_HTTP_WORKERS="2")
    try:
        async with asyncio.timeout(60):
            assert (await notify.receive()).startswith("READY=1")
        async with asyncio.timeout(10):
            await pbx.wait_for_logins(2)
        process.kill()
        await process.wait()
        async with asyncio.timeout(30):
            await pbx.wait_for_action("Logoff", count=2)  # each drained and logged off
            await poll_until(lambda: log.read_text().count("stopped") == 2, 0.05)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        notify.close()
    with pytest.raises(ConnectionRefusedError):  # nothing listens any more
        await asyncio.open_connection("127.0.0.1", port)


@SQLITE
async def test_sighup_reopens_the_log_file_in_every_worker(
    world: World, database_url: str, tmp_path: Path
) -> None:
    notify = NotifySocket(tmp_path / "notify")
    rotated = tmp_path / "bridge.log.1"
    try:
        async with two_workers(database_url, tmp_path, notify) as (port, log, process):
            log.rename(rotated)  # what logrotate does
            process.send_signal(signal.SIGHUP)
            written: set[str] = set()  # workers whose access lines reach the new file
            async with aiohttp.ClientSession() as session, asyncio.timeout(30):
                while len(written) < 2:
                    url = f"http://127.0.0.1:{port}/healthz"
                    async with session.get(url, headers={"Connection": "close"}) as response:
                        worker = response.headers["X-Bridge-Worker"]
                        request_id = response.headers["X-Request-Id"]
                    await asyncio.sleep(0.1)  # the access log is written every 50 ms
                    if log.exists() and request_id in log.read_text():
                        written.add(worker)
    finally:
        notify.close()
    assert "2 workers listening on" in rotated.read_text()
    assert log.read_text().count("stopped") == 3  # the supervisor's and each worker's


def test_workers_get_the_supervisors_settings_exactly() -> None:
    settings = load_settings(
        None,
        environ={
            "BRIDGE_HTTP_WORKERS": "3",
            "BRIDGE_HTTP_CORS_ORIGINS": "https://wall.example,https://ops.example",
            "BRIDGE_HTTP_HEADER_TIMEOUT": "2.5",
            "BRIDGE_METRICS_ENABLED": "true",
            "BRIDGE_LOG_FORMAT": "json",
        },
    )
    assert settings_from_json(settings_to_json(settings)) == settings
