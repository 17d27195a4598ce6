"""Benchmark 1: the read API against a bare aiohttp handler returning the same bytes.

``python -m bench.read_api [--seconds 10] [--connections 32]``

A directory of 1,000 licensed extensions (SQLite); ``GET CS/extensions`` and ``GET EXT`` by
number, from 32 keep-alive clients with Basic auth. The bridge and the baseline each run as one
process pinned to one core; the load generator runs on the other. Prints requests/s, p50/p99
and the ratio bridge/baseline (target: at least 0.5x, p99 under 20 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json

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


async def main(seconds: float, connections: int) -> dict[str, dict[str, float]]:
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
        bridge = await start_process(["-m", "bridge", "serve"], bridge_env(url, port), server_cpu)
        try:
            await wait_healthy(port)
            paths = {
                "CS/extensions (1,000)": f"{P}/coreServers/{cs}/extensions",
                "EXT by number": f"{P}/coreServers/getByName/bench/extensions/getByName/1500",
            }
            bodies = {}
            async with aiohttp.ClientSession(headers=auth) as session:
                for name, path in paths.items():
                    async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                        assert response.status == 200
                        bodies[name] = await response.read()
            measured = {
                name: _measure(port, path, auth, connections, seconds, load_cpu)
                for name, path in paths.items()
            }
        finally:
            await stop(bridge)
        for name, body in bodies.items():
            body_file = directory / "body.json"
            body_file.write_bytes(body)
            base_port = free_port()
            baseline = await start_process(
                ["bench/baseline_server.py", str(base_port), str(body_file)], {}, server_cpu
            )
            try:
                await wait_port(base_port)
                base = _measure(base_port, paths[name], auth, connections, seconds, load_cpu)
            finally:
                await stop(baseline)
            results[name] = _report(name, len(body), measured[name], base)
    return results


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
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.seconds, args.connections)), indent=2))
