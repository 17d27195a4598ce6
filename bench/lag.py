"""Benchmark 9: the bridge's event-loop lag while its read API is saturated and the PBX sends
2,000 events a second, and whether it reads its AMI socket in time for Asterisk.

``python -m bench.lag [--seconds 20] [--rate 2000]``

Asterisk writes each AMI message with manager.conf's ``writetimeout`` (default 100 ms) as an
inactivity timeout, and drops a client whose socket takes nothing for that long. The simulated
PBX here does the same (``write_timeout=0.1``). The bridge (one process, as it ships: log level
info, a line per request; 1,000 licensed extensions, SQLite) runs under bench/lag_probe.py,
which notes how late its event loop wakes up every 5 ms; it is pinned to the first core. On the
second: the PBX in this process, raising realistic call events (Newchannel ... Hangup,
DeviceStateChange) at ``--rate`` per second, a WebSocket subscriber taking every event, and
two wrk processes (Debian's ``wrk``) keeping 16 connections each busy with ``GET CS/extensions``
(1,000 extensions) and ``GET EXT``, more than one core of bridge can answer.

Printed: the loop's lag (p50, p99, p99.9, worst) over the loaded window, the bridge's CPU share,
the requests answered, the events sent and streamed; and on the PBX side, the most bytes that
ever waited in its socket's buffer for the bridge, the longest such wait, and whether the PBX
dropped the bridge (it must not: the same session from start to end, no write timeout).
Target: worst lag and longest wait under 100 ms, never dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import threading
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
    percentile,
    pin,
    seed,
    start_process,
    stop,
    wait_healthy,
    workdir,
)
from bench.read_api import P
from bench.wrk import WrkResult, process_cpu_seconds, require_wrk, run_wrk
from bridge.ami.protocol import encode
from bridge.pbxsim import SimulatedPbx, realistic_event_stream
from bridge.pbxsim.session import AmiSession

NUMBERS = [str(1000 + n) for n in range(1000)]
WRITE_TIMEOUT = 0.1  # Asterisk's default writetimeout


class SocketWatch:
    """Samples, every millisecond, the bytes waiting in a PBX session's transport buffer:
    the most ever waiting, and the longest stretch with bytes waiting."""

    def __init__(self, session: AmiSession) -> None:
        self.session = session
        self.most = 0
        self.longest = 0.0
        self._since: float | None = None

    async def run(self) -> None:
        transport = self.session.writer.transport
        while True:
            await asyncio.sleep(0.001)
            now, waiting = time.monotonic(), transport.get_write_buffer_size()
            self.most = max(self.most, waiting)
            if waiting and self._since is None:
                self._since = now
            elif not waiting and self._since is not None:
                self.longest = max(self.longest, now - self._since)
                self._since = None


async def paced(session: AmiSession, events: list[bytes], rate: float) -> float:
    """Write ``events`` to ``session`` at ``rate`` a second, in 10 ms steps; the rate achieved."""
    started, sent = time.monotonic(), 0
    while sent < len(events):
        await asyncio.sleep(0.01)
        due = min(len(events), int((time.monotonic() - started) * rate))
        if due > sent:
            session.send_raw(b"".join(events[sent:due]))
            sent = due
    return sent / (time.monotonic() - started)


async def subscriber(port: int, auth: str, counted: list[int]) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(
            f"http://127.0.0.1:{port}/communication_manager/ws/event",
            headers={"Authorization": f"Basic {auth}"},
            max_msg_size=0,
        )
        async for _message in ws:
            counted[0] += 1


def load(
    port: int, paths: list[str], headers: dict[str, str], seconds: float, cpu: int | None
) -> list[WrkResult]:
    """One wrk per path, at the same time, each in a thread of this process."""
    results: list[WrkResult] = []

    def one(path: str) -> None:
        results.append(
            run_wrk(
                f"http://127.0.0.1:{port}{path}",
                headers,
                connections=16,
                seconds=seconds,
                threads=1,
                cpus=None if cpu is None else {cpu},
            )
        )

    threads = [threading.Thread(target=one, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


async def main(seconds: float, rate: float) -> dict[str, float]:
    require_wrk()
    cores = cpus()
    bridge_cpu = cores[0] if cores else None
    other_cpu = cores[1] if len(cores) > 1 else None
    if other_cpu is not None:
        pin(0, other_cpu)
    count = int(rate * (seconds + 3))
    events = [encode(h) for h in islice(realistic_event_stream(NUMBERS, calls=count), count)]
    basic = base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    async with SimulatedPbx(login_failure_delay=0.01, write_timeout=WRITE_TIMEOUT) as pbx:
        with workdir("lag") as directory:
            url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
            [cs] = await seed(url, servers=[pbx_server(pbx.port)], extensions_per_server=1000)
            port, samples_file = free_port(), directory / "lag.json"
            bridge = await start_process(
                ["-m", "bench.lag_probe", str(samples_file)],
                bridge_env(url, port, BRIDGE_LOG_LEVEL="info"),
                bridge_cpu,
            )
            try:
                await wait_healthy(port, connected_servers=1)
                await asyncio.sleep(1.0)  # the sync after login
                [session] = pbx.sessions()
                streamed = [0]
                watch = SocketWatch(session)
                watching = asyncio.create_task(watch.run())
                listening = asyncio.create_task(subscriber(port, basic, streamed))
                paths = [
                    f"{P}/coreServers/{cs}/extensions",
                    f"{P}/coreServers/getByName/pbx/extensions/getByName/1500",
                ]
                sending = asyncio.create_task(paced(session, events, rate))
                await asyncio.sleep(1.0)  # the events flowing before the reads begin
                cpu_before, started = process_cpu_seconds(bridge.pid), time.monotonic()
                reads = await asyncio.to_thread(load, port, paths, headers, seconds, other_cpu)
                ended = time.monotonic()
                bridge_cpu_share = (process_cpu_seconds(bridge.pid) - cpu_before) / (
                    ended - started
                )
                achieved = await sending
                await asyncio.sleep(0.5)
                watching.cancel()
                listening.cancel()
                same_session = pbx.sessions() == [session]
            finally:
                await stop(bridge)
            samples = json.loads(await asyncio.to_thread(samples_file.read_text))
    window = [(moment, lag) for moment, lag in samples if started <= moment <= ended]
    lags = sorted(lag for _, lag in window)
    worst_at = max(window, key=lambda sample: sample[1])[0] - started
    requests = sum(result.requests for result in reads)
    for result in reads:
        if result.errors:
            print(result.output)
    figures = {
        "lag_p50_ms": percentile(lags, 0.5) * 1000,
        "lag_p99_ms": percentile(lags, 0.99) * 1000,
        "lag_p999_ms": percentile(lags, 0.999) * 1000,
        "lag_worst_ms": lags[-1] * 1000,
        "lag_worst_at_s": worst_at,
        "lag_samples": float(len(lags)),
        "bridge_cpu_share": bridge_cpu_share,
        "requests_per_s": requests / (ended - started),
        "read_errors": float(sum(result.errors for result in reads)),
        "events_per_s": achieved,
        "websocket_events": float(streamed[0]),
        "pbx_most_bytes_waiting": float(watch.most),
        "pbx_longest_wait_ms": watch.longest * 1000,
        "pbx_write_timeouts": float(pbx.write_timeouts),
        "same_ami_session": float(same_session),
    }
    print(
        f"{seconds:g} s of reads (2 wrk x 16 connections) with {achieved:.0f} AMI events/s;"
        f" the bridge's core {bridge_cpu_share:.0%} busy"
    )
    print(
        f"  reads       {figures['requests_per_s']:9.0f} req/s"
        f"  ({int(figures['read_errors'])} errors)"
    )
    print(f"  streamed    {streamed[0]:9d} WebSocket events")
    print(
        f"  loop lag    p50 {figures['lag_p50_ms']:.2f} ms  p99 {figures['lag_p99_ms']:.2f} ms"
        f"  p99.9 {figures['lag_p999_ms']:.2f} ms  worst {figures['lag_worst_ms']:.2f} ms"
        f"  ({len(lags)} samples, every 5 ms; the worst {worst_at:.1f} s in)"
    )
    print(
        f"  PBX socket  most waiting {watch.most} bytes, longest wait"
        f" {figures['pbx_longest_wait_ms']:.1f} ms (writetimeout {WRITE_TIMEOUT * 1000:.0f} ms)"
    )
    print(
        f"  dropped by the PBX: {'no' if same_session and not pbx.write_timeouts else 'YES'}"
        f" (write timeouts {pbx.write_timeouts}; same AMI session throughout: {same_session})"
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=2000.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.seconds, args.rate)), indent=2))
