"""Benchmark 1: the read API against a bare aiohttp handler returning the same bytes.

``python -m bench.read_api [--seconds 10] [--connections 32]``

A directory of 1,000 licensed extensions (SQLite); ``GET CS/extensions`` and ``GET EXT`` by
number, from 32 keep-alive clients with Basic auth. The bridge (as it ships: log level info, a
line per request) and the baseline each run as one process pinned to one core; the load
generator runs on the other. Runs alternate between the two, ``--rounds`` times; the median run
of each is reported: requests/s, p50/p99 and the ratio (target: at least 0.5x, p99 < 20 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from typing import Any

import aiohttp

from bench.common import (
    ADMIN,
    PASSWORD,
    bridge_env,
    cpus,
    free_port,
    seed,
    start_process,
    stop,
    wait_healthy,
    workdir,
)
from bench.loadgen import LoadResult, request_bytes, run_in_process

P = "/communication_manager/rest/live"


async def main(seconds: float, connections: int, rounds: int) -> dict[str, dict[str, float]]:
    cores = cpus()
    server_cpu = cores[0] if cores else None
    load_cpu = cores[1] if len(cores) > 1 else None
    auth = {"Authorization": "Basic " + base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()}
    results: dict[str, dict[str, float]] = {}
    with workdir("read") as directory:
        url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        [cs] = await seed(
            url,
            servers=[{"slug": "bench", "name": "Bench", "ami_port": 9}],
            extensions_per_server=1000,
        )
        port = free_port()
        paths = {
            "CS/extensions (1,000)": f"{P}/coreServers/{cs}/extensions",
            "EXT by number": f"{P}/coreServers/getByName/bench/extensions/getByName/1500",
        }
        # the bridge as it ships: log level info, one access line per request (to /dev/null)
        bridge = await start_process(
            ["-m", "bridge", "serve"], bridge_env(url, port, BRIDGE_LOG_LEVEL="info"), server_cpu
        )
        baselines: list[Any] = []
        try:
            await wait_healthy(port)
            bodies = {}
            async with aiohttp.ClientSession(headers=auth) as session:
                for name, path in paths.items():
                    async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                        assert response.status == 200
                        bodies[name] = await response.read()
            base_ports = {}
            for index, (name, body) in enumerate(bodies.items()):
                body_file = directory / f"body{index}.json"
                body_file.write_bytes(body)
                base_ports[name] = free_port()
                baselines.append(
                    await start_process(
                        ["bench/baseline_server.py", str(base_ports[name]), str(body_file)],
                        {},
                        server_cpu,
                    )
                )
                await wait_port(base_ports[name])
            for name, path in paths.items():
                runs: dict[str, list[LoadResult]] = {"bridge": [], "baseline": []}
                for _ in range(rounds):  # alternate, so that drifts touch both alike
                    runs["bridge"].append(
                        _measure(port, path, auth, connections, seconds, load_cpu)
                    )
                    runs["baseline"].append(
                        _measure(base_ports[name], path, auth, connections, seconds, load_cpu)
                    )
                results[name] = _report(
                    name, len(bodies[name]), _median(runs["bridge"]), _median(runs["baseline"])
                )
        finally:
            for process in [bridge, *baselines]:
                await stop(process)
    return results


def _median(runs: list[LoadResult]) -> LoadResult:
    return sorted(runs, key=lambda run: run.rate)[len(runs) // 2]


def _measure(
    port: int, path: str, headers: dict[str, str], connections: int, seconds: float, cpu: int | None
) -> LoadResult:
    request = request_bytes("127.0.0.1", port, path, headers)
    result = run_in_process("127.0.0.1", port, request, connections, seconds, cpu)
    assert set(result.statuses) == {200}, result.statuses
    return result


async def wait_port(port: int) -> None:
    async with asyncio.timeout(30):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            return


def _report(name: str, size: int, bridge: LoadResult, base: LoadResult) -> dict[str, float]:
    figures = {
        "bridge_rps": bridge.rate,
        "baseline_rps": base.rate,
        "ratio": bridge.rate / base.rate,
        "bridge_p50_ms": bridge.percentile(0.5) * 1000,
        "bridge_p99_ms": bridge.percentile(0.99) * 1000,
        "baseline_p99_ms": base.percentile(0.99) * 1000,
        "body_bytes": size,
    }
    print(f"{name}: {size} bytes")
    print(
        f"  bridge   {bridge.rate:9.0f} req/s  p50 {figures['bridge_p50_ms']:6.2f} ms"
        f"  p99 {figures['bridge_p99_ms']:6.2f} ms"
    )
    print(
        f"  baseline {base.rate:9.0f} req/s  p50 {base.percentile(0.5) * 1000:6.2f} ms"
        f"  p99 {figures['baseline_p99_ms']:6.2f} ms"
    )
    print(f"  ratio    {figures['ratio']:.2f}x (target >= 0.5x; p99 target < 20 ms)")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.seconds, args.connections, args.rounds)), indent=2))
