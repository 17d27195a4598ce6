"""Benchmark 4 and 5: scale, and what change detection costs the database.

``python -m bench.scale [--servers 50] [--extensions 10000] [--database-url URL]``

10,000 licensed extensions across 50 core servers, each with its own AMI link to the simulated
PBX (50 sessions). Prints the bridge's start-up time to ready (process start until /healthz
shows every link connected), its resident memory, how long an extension added by SQL takes to
answer, and how many change-detection queries the database saw per second, idle and under a
read load (from /metrics). Targets: at most 200 MB, 5 s, 1 s, and one query per second.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import re
import time

import aiohttp
import sqlalchemy as sa

from bench.common import (
    ADMIN,
    PASSWORD,
    bridge_env,
    cpus,
    free_port,
    pbx_server,
    pin,
    rss_mb,
    seed,
    start_process,
    stop,
    wait_healthy,
    workdir,
)
from bench.loadgen import request_bytes, run_in_process
from bridge import models
from bridge.db import create_engine
from bridge.pbxsim import SimulatedPbx

P = "/communication_manager/rest/live"


async def change_queries(session: aiohttp.ClientSession, port: int) -> float:
    async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
        text = await response.text()
    match = re.search(r"^bridge_directory_change_queries_total (\S+)$", text, re.M)
    assert match is not None
    return float(match.group(1))


async def query_times(session: aiohttp.ClientSession, port: int) -> list[float]:
    """When the change-detection query counter moved (sampled every 20 ms), until cancelled."""
    times: list[float] = []
    last = await change_queries(session, port)
    try:
        while True:
            await asyncio.sleep(0.02)
            now = await change_queries(session, port)
            times.extend([time.perf_counter()] * int(now - last))
            last = now
    except asyncio.CancelledError:
        return times


async def main(servers: int, extensions: int, url: str | None) -> dict[str, float]:
    cores = cpus()
    bridge_cpu = cores[0] if cores else None
    if len(cores) > 1:
        pin(0, cores[1])
    per_server = extensions // servers
    figures: dict[str, float] = {}
    async with SimulatedPbx(login_failure_delay=0.01) as pbx:
        with workdir("scale") as directory:
            url = url or f"sqlite+aiosqlite:///{directory / 'bench.db'}"
            rows = [pbx_server(pbx.port, f"pbx{n}", f"PBX {n}") for n in range(servers)]
            ids = await seed(url, servers=rows, extensions_per_server=per_server)
            port = free_port()
            started = time.perf_counter()
            bridge = await start_process(
                ["-m", "bridge", "serve"],
                bridge_env(url, port, BRIDGE_METRICS_ENABLED="true"),
                bridge_cpu,
            )
            try:
                await wait_healthy(port, connected_servers=servers)
                figures["startup_to_ready_s"] = time.perf_counter() - started
                await asyncio.sleep(2.0)  # the syncs after login settle
                figures["rss_mb"] = rss_mb(bridge.pid)
                figures["change_visible_s"] = await added_extension_visible(url, ids[0], port)
                async with aiohttp.ClientSession() as session:
                    idle_window = asyncio.create_task(query_times(session, port))
                    await asyncio.sleep(10)
                    idle_window.cancel()
                    idle = await idle_window
                    auth = base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
                    path = f"{P}/coreServers/{ids[0]}/extensions/getByName/1000"
                    request = request_bytes(
                        "127.0.0.1", port, path, {"Authorization": f"Basic {auth}"}
                    )
                    load_window = asyncio.create_task(query_times(session, port))
                    loop = asyncio.get_running_loop()
                    load = await loop.run_in_executor(
                        None,
                        run_in_process,
                        "127.0.0.1",
                        port,
                        request,
                        32,
                        10.0,
                        cores[1] if len(cores) > 1 else None,
                    )
                    load_window.cancel()
                    busy = await load_window
                for name, times in (("idle", idle), ("under_load", busy)):
                    gaps = [b - a for a, b in itertools.pairwise(times)]
                    figures[f"change_queries_per_s_{name}"] = len(gaps) / sum(gaps)
                    figures[f"change_query_min_gap_s_{name}"] = min(gaps)
                figures["requests_per_s_during_load"] = load.rate
                figures["rss_mb_after_load"] = rss_mb(bridge.pid)
            finally:
                await stop(bridge)
    print(f"{extensions} extensions across {servers} core servers ({servers} AMI links)")
    print(f"  start-up to ready     {figures['startup_to_ready_s']:6.2f} s   (target <= 5 s)")
    print(
        f"  resident memory       {figures['rss_mb']:6.1f} MB  (after a read load:"
        f" {figures['rss_mb_after_load']:.1f} MB; target <= 200 MB)"
    )
    print(f"  SQL change visible in {figures['change_visible_s']:6.3f} s   (target <= 1 s)")
    print(
        f"  change-detection queries/s: {figures['change_queries_per_s_idle']:.2f} idle,"
        f" {figures['change_queries_per_s_under_load']:.2f} under"
        f" {figures['requests_per_s_during_load']:.0f} req/s (target <= 1); shortest gap"
        f" {figures['change_query_min_gap_s_idle']:.2f} s idle,"
        f" {figures['change_query_min_gap_s_under_load']:.2f} s under load"
    )
    return figures


async def added_extension_visible(url: str, core_server_id: str, port: int) -> float:
    """Seconds from an admin's INSERT (committed) until the new extension answers 200."""
    engine = create_engine(url)
    auth = base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
    path = f"{P}/coreServers/{core_server_id}/extensions/getByName/99999"
    try:
        async with engine.begin() as connection:
            license_id = await connection.scalar(
                sa.select(models.License.id).where(models.License.core_server_id == core_server_id)
            )
            await connection.execute(
                sa.update(models.License)
                .where(models.License.id == license_id)
                .values(seats=models.License.seats + 1)
            )
            user_id = await connection.scalar(
                sa.insert(models.User)
                .values(
                    core_server_id=core_server_id,
                    username="late",
                    license_id=license_id,
                )
                .returning(models.User.id)
            )
            await connection.execute(
                sa.insert(models.Extension).values(
                    core_server_id=core_server_id, user_id=user_id, extension_number="99999"
                )
            )
        committed = time.perf_counter()
        async with aiohttp.ClientSession(headers={"Authorization": f"Basic {auth}"}) as session:
            while True:
                async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                    if response.status == 200:
                        return time.perf_counter() - committed
                await asyncio.sleep(0.005)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=50)
    parser.add_argument("--extensions", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.servers, args.extensions, args.database_url)), indent=2))
