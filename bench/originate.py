"""Benchmark 3: what the bridge adds to an Originate.

``python -m bench.originate [--count 500]``

``POST EXT/originate`` until its 204 (the bridge answers once Asterisk acknowledged the
Originate), one after the other on a keep-alive connection, against panoramisk 1.4 sending the
same Originate to the same simulated PBX and waiting for the ack. Both clients run in their own
process on the same core; the PBX on the other. Target: the bridge adds at most 1 ms at the
median.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import sys
import time

from bench.common import (
    ADMIN,
    PASSWORD,
    bridge_env,
    cpus,
    free_port,
    pbx_server,
    pin,
    seed,
    start_process,
    stop,
    wait_healthy,
    workdir,
)
from bench.loadgen import request_bytes
from bridge.pbxsim import SimulatedPbx

P = "/communication_manager/rest/live"


async def bridge_latencies(pbx: SimulatedPbx, count: int, cpu: int | None) -> list[float]:
    with workdir("originate") as directory:
        url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        await seed(
            url,
            servers=[pbx_server(pbx.port)],
            extensions_per_server=10,
            first_number=1000,
        )
        port = free_port()
        env = bridge_env(
            url,
            port,
            BRIDGE_LIMITS_ORIGINATE_PER_MINUTE="10000000",
            BRIDGE_LIMITS_ORIGINATE_BURST="10000000",
            BRIDGE_LIMITS_ACTIONS_PER_MINUTE="10000000",  # every action counts here too
            BRIDGE_LIMITS_ACTIONS_BURST="10000000",
        )
        bridge = await start_process(["-m", "bridge", "serve"], env, cpu)
        try:
            await wait_healthy(port, connected_servers=1)
            auth = base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            latencies = []
            for n in range(count + 20):  # the first 20 warm up
                body = json.dumps({"destinationNumber": f"200{n % 10}"}).encode()
                request = request_bytes(
                    "127.0.0.1",
                    port,
                    f"{P}/coreServers/getByName/pbx/extensions/getByName/1000/originate",
                    {"Authorization": f"Basic {auth}", "Content-Type": "application/json"},
                    "POST",
                    body,
                )
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                elapsed = time.perf_counter() - started
                assert head.startswith(b"HTTP/1.1 204"), head
                if n >= 20:
                    latencies.append(elapsed)
            writer.close()
        finally:
            await stop(bridge)
    return latencies


async def baseline_latencies(pbx: SimulatedPbx, count: int, cpu: int | None) -> list[float]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "bench/panoramisk_originate.py",
        str(pbx.port),
        str(count + 20),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    pin(process.pid, cpu)
    assert process.stdout is not None and process.stdin is not None
    try:
        assert (await process.stdout.readline()).strip() == b"ready"
        process.stdin.write(b"go\n")
        await process.stdin.drain()
        latencies: list[float] = json.loads(await process.stdout.readline())
    finally:
        await stop(process)
    return latencies[20:]


async def main(count: int) -> dict[str, float]:
    cores = cpus()
    client_cpu = cores[0] if cores else None
    if len(cores) > 1:
        pin(0, cores[1])  # the PBX (this process) on the other core
    async with SimulatedPbx(login_failure_delay=0.01) as pbx:
        bridge = await bridge_latencies(pbx, count, client_cpu)
        await pbx.wait_until(lambda: not pbx.sessions())
        base = await baseline_latencies(pbx, count, client_cpu)
    figures = {
        "bridge_median_ms": statistics.median(bridge) * 1000,
        "baseline_median_ms": statistics.median(base) * 1000,
        "bridge_p99_ms": sorted(bridge)[int(0.99 * len(bridge))] * 1000,
        "baseline_p99_ms": sorted(base)[int(0.99 * len(base))] * 1000,
    }
    figures["added_median_ms"] = figures["bridge_median_ms"] - figures["baseline_median_ms"]
    print(f"{count} originates, one at a time")
    for name, what in (("bridge", "POST originate -> 204"), ("baseline", "panoramisk -> ack")):
        median, p99 = figures[f"{name}_median_ms"], figures[f"{name}_p99_ms"]
        print(f"  {name:8} median {median:.3f} ms  p99 {p99:.3f} ms  ({what})")
    print(f"  added    {figures['added_median_ms']:.3f} ms at the median (target <= 1 ms)")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.count)), indent=2))
