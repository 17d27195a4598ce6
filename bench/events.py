"""Benchmark 2: AMI event ingestion, against panoramisk dispatching the same stream.

``python -m bench.events [--events 200000]``

The simulated PBX blasts realistic call events (Newchannel, Newstate, DialBegin/End,
BridgeEnter/Leave, Hangup, DeviceStateChange) for 1,000 extensions into the bridge, whose live
state follows them and whose WebSocket subscriber (in this process) receives every resulting
event; then the same bytes into panoramisk 1.4 with one empty ``'*'`` handler. Each runs as its
own process on its own core. The clock stops when a last marker event has come out the other
end (the WebSocket event, or panoramisk's handler). Target: at least 0.6x the baseline's
events/s, and 30,000 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
from itertools import islice

import aiohttp

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
from bridge.ami.protocol import encode
from bridge.pbxsim import SimulatedPbx, realistic_event_stream

NUMBERS = [str(1000 + n) for n in range(1000)]
MARKER = [
    ("Event", "DeviceStateChange"),
    ("Privilege", "call,all"),
    ("Device", "PJSIP/1000"),
    ("State", "UNAVAILABLE"),
]


def stream(count: int) -> list[bytes]:
    events = islice(realistic_event_stream(NUMBERS, calls=count), count)
    return [encode(headers) for headers in events]


async def run_bridge(pbx: SimulatedPbx, data: list[bytes], cpu: int | None) -> tuple[float, int]:
    with workdir("events") as directory:
        url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        await seed(
            url,
            servers=[pbx_server(pbx.port)],
            extensions_per_server=len(NUMBERS),
            first_number=1000,
        )
        port = free_port()
        bridge = await start_process(
            ["-m", "bridge", "serve"],
            bridge_env(url, port, BRIDGE_EVENTS_QUEUE_SIZE="1000000"),
            cpu,
        )
        try:
            await wait_healthy(port, connected_servers=1)
            await asyncio.sleep(1.0)  # the sync after login
            auth = base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
            async with aiohttp.ClientSession() as session:
                ws = await session.ws_connect(
                    f"http://127.0.0.1:{port}/communication_manager/ws/event",
                    headers={"Authorization": f"Basic {auth}"},
                    max_msg_size=0,
                )
                assert json.loads((await ws.receive()).data)["type"] == "ready"
                received = 0
                [target] = pbx.sessions()
                started = time.perf_counter()
                blasting = asyncio.create_task(pbx.blast([*data, encode(MARKER)], session=target))
                async for message in ws:
                    received += 1
                    event = json.loads(message.data)
                    if event.get("deviceState") == "UNAVAILABLE":
                        break
                elapsed = time.perf_counter() - started
                await blasting
                await ws.close()
        finally:
            await stop(bridge)
    return elapsed, received


async def run_baseline(pbx: SimulatedPbx, data: list[bytes], cpu: int | None) -> float:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "bench/panoramisk_baseline.py",
        str(pbx.port),
        "bridge",
        "bridge-secret",
        stdout=asyncio.subprocess.PIPE,
    )
    pin(process.pid, cpu)
    assert process.stdout is not None
    try:
        assert (await process.stdout.readline()).strip() == b"ready"
        await pbx.wait_until(lambda: len(pbx.sessions()) == 1)
        [target] = pbx.sessions()
        started = time.perf_counter()
        blasting = asyncio.create_task(pbx.blast([*data, encode(MARKER)], session=target))
        line = await process.stdout.readline()
        elapsed = time.perf_counter() - started
        await blasting
        assert line.startswith(b"done"), line
    finally:
        await stop(process)
    return elapsed


async def main(count: int) -> dict[str, float]:
    cores = cpus()
    server_cpu = cores[0] if cores else None
    if len(cores) > 1:
        pin(0, cores[1])  # this process (the PBX, the WebSocket client) on the other core
    data = stream(count)
    async with SimulatedPbx(login_failure_delay=0.01) as pbx:
        bridge_seconds, received = await run_bridge(pbx, data, server_cpu)
        await pbx.wait_until(lambda: not pbx.sessions())
        base_seconds = await run_baseline(pbx, data, server_cpu)
    figures = {
        "events": float(len(data)),
        "bridge_events_per_s": len(data) / bridge_seconds,
        "baseline_events_per_s": len(data) / base_seconds,
        "websocket_events_received": float(received),
    }
    figures["ratio"] = figures["bridge_events_per_s"] / figures["baseline_events_per_s"]
    print(f"{len(data)} events for {len(NUMBERS)} extensions")
    print(
        f"  bridge   {figures['bridge_events_per_s']:9.0f} events/s"
        f"  (live state + {received} WebSocket events)"
    )
    print(
        f"  baseline {figures['baseline_events_per_s']:9.0f} events/s"
        "  (panoramisk, one '*' handler)"
    )
    print(f"  ratio    {figures['ratio']:.2f}x (target >= 0.6x and >= 30,000 events/s)")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.events)), indent=2))
