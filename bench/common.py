"""Shared by the benchmarks: a seeded directory, the bridge as a process, CPU pinning, RSS."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from argon2 import PasswordHasher

from bridge import migrate, models
from bridge.db import create_engine

ADMIN, PASSWORD = "bench", "bench-password"
ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` (0.5, 0.99...) of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def pin(pid: int, cpu: int | None) -> None:
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(pid, {cpu})


def pbx_server(port: int, slug: str = "pbx", name: str = "PBX") -> dict[str, Any]:
    """A core_servers row for the simulated PBX listening on ``port`` (its default login)."""
    return {
        "slug": slug,
        "name": name,
        "ami_port": port,
        "ami_username": "bridge",
        "ami_secret": "bridge-secret",
    }


async def seed(
    url: str, *, servers: list[dict[str, Any]], extensions_per_server: int, first_number: int = 1000
) -> list[str]:
    """A migrated database with ``servers`` (core_servers rows), each with one full license and
    ``extensions_per_server`` licensed users and extensions, and an admin account. Returns the
    core servers' ids."""
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        ids = []
        async with engine.begin() as connection:
            for index, server in enumerate(servers):
                server_id = f"00000000-0000-4000-8000-{index:012d}"
                ids.append(server_id)
                await connection.execute(
                    sa.insert(models.CoreServer).values(id=server_id, **server)
                )
                license_id = f"10000000-0000-4000-8000-{index:012d}"
                await connection.execute(
                    sa.insert(models.License).values(
                        id=license_id, core_server_id=server_id, seats=extensions_per_server
                    )
                )
                users, extensions = [], []
                for n in range(extensions_per_server):
                    number = str(first_number + n)
                    user_id = f"2{index:07d}-0000-4000-8000-{n:012d}"
                    users.append(
                        {
                            "id": user_id,
                            "core_server_id": server_id,
                            "username": f"user{number}",
                            "display_name": f"User {number}",
                            "license_id": license_id,
                        }
                    )
                    extensions.append(
                        {
                            "core_server_id": server_id,
                            "user_id": user_id,
                            "extension_number": number,
                            "display_name": f"Extension {number}",
                        }
                    )
                await connection.execute(sa.insert(models.User), users)
                await connection.execute(sa.insert(models.Extension), extensions)
            await connection.execute(
                sa.insert(models.Account).values(
                    username=ADMIN, password_hash=PasswordHasher().hash(PASSWORD), is_admin=True
                )
            )
        return ids
    finally:
        await engine.dispose()


def bridge_env(url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update(
        {
            "BRIDGE_DATABASE_URL": url,
            "BRIDGE_HTTP_PORT": str(port),
            "BRIDGE_LOG_LEVEL": "warning",
            **extra,
        }
    )
    return env


@contextmanager
def workdir(name: str) -> Iterator[Path]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"bridge-bench-{name}-") as directory:
        yield Path(directory)


async def start_process(
    args: list[str], env: dict[str, str], cpu: int | None = None
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    pin(process.pid, cpu)
    return process


async def wait_healthy(port: int, *, connected_servers: int = 0, limit: float = 60.0) -> float:
    """Seconds until /healthz answers (and ``connected_servers`` links are up)."""
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session, asyncio.timeout(limit):
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    body = await response.json()
                    up = body["amiStatus"]["connected"]
                    if response.status == 200 and up >= connected_servers:
                        return time.perf_counter() - started
            except (aiohttp.ClientError, ValueError):
                pass
            await asyncio.sleep(0.01)


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            async with asyncio.timeout(30):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")
