"""Benchmark 8: one event stream fanned out to 500 WebSocket clients, against a bare aiohttp
broadcast of the same frames to the same clients.

``python -m bench.fanout [--clients 500] [--events 20000] [--rate 100] [--seconds 10]``

The bridge (one process, 1,101 licensed extensions, SQLite) is pinned to the first core; this
process, on the second, is the simulated PBX and the clients: ``--clients`` WebSocket
connections subscribed to everything (no filter), raw asyncio protocols that count frames and
look for known bytes without decoding anything, so that they cost little next to the servers.

1. Throughput: the PBX writes ``--events`` realistic call events (Newchannel ... Hangup,
   DeviceStateChange, among extensions 1000-1999) as fast as the bridge reads them, then a
   marker (extension 2100 UNAVAILABLE); the clock stops when every client has the marker.
   Frames delivered per second = the frames each client received, summed, over that time.
2. The baseline: bench/fanout_baseline.py, a bare aiohttp server on the same core, sends the
   very frames the first client received (its bytes are kept and split into frames) to the same
   number of clients, ``send_str`` to each in turn, and the clock stops the same way. It runs
   a second time writing 64 pre-framed frames a write to each socket (as the bridge writes a
   client's queued events at once): a ceiling, printed beside it.
3. Latency under load: the PBX sends ``--rate`` events a second for ``--seconds`` s and, every
   20 ms, a probe (a device state change of one of extensions 2000-2099, noted with the time it
   was written); each client notes when the probe's bytes arrive. p50/p99/worst over all
   clients and probes: AMI write -> the frame in the client's socket (the clients share their
   core with the PBX, so their own delays are in it too).

Target: frames/s at least 0.7x the baseline's. The bridge's per-account stream cap, per-address
connection cap and WebSocket queue are raised for the run (``[events] max_streams_per_account``,
``[http] max_connections_per_address``, ``[events] queue_size``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import time
from dataclasses import dataclass
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
from bench.read_api import wait_port
from bridge.ami.protocol import encode
from bridge.pbxsim import SimulatedPbx, realistic_event_stream
from bridge.pbxsim.session import AmiSession

NUMBERS = [str(1000 + n) for n in range(1000)]  # the call events' extensions
EXTENSIONS = 1101  # 1000-2100: 2000-2099 for probes, 2100 for the end marker
FRAME = b'{"type":"'  # how every event frame's JSON begins
END = b'"extensionNumber":"2100","deviceState":"UNAVAILABLE"'
BATCH = 64  # frames a write for the batched baseline
TAIL = 80  # bytes kept from one read to the next, for patterns cut across reads


def device_state(number: str, state: str) -> list[tuple[str, str]]:
    return [
        ("Event", "DeviceStateChange"),
        ("Privilege", "call,all"),
        ("Device", f"PJSIP/{number}"),
        ("State", state),
    ]


class Probes:
    """The probes sent: when each was written, and the bytes that show it arrived."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, bytes]] = []

    def make(self, index: int) -> list[tuple[str, str]]:
        number = str(2000 + index % 100)
        state = ("INUSE", "NOT_INUSE")[index // 100 % 2]
        marker = f'"extensionNumber":"{number}","deviceState":"{state}"'.encode()
        self.sent.append((time.monotonic(), marker))
        return device_state(number, state)


class Client(asyncio.Protocol):
    """A WebSocket subscriber on a raw socket: the upgrade, then counts and byte searches."""

    def __init__(self, request: bytes, fleet: Fleet, keep: bool) -> None:
        self.request, self.fleet, self.keep = request, fleet, keep
        self.head = b""
        self.upgraded = False
        self.tail = b""
        self.frames = 0
        self.kept: list[bytes] = []
        self.done_at = 0.0
        self.next_probe = 0
        self.ready = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if not self.upgraded:
            self.head += data
            if b"\r\n\r\n" not in self.head:
                return
            head, data = self.head.split(b"\r\n\r\n", 1)
            if not head.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(RuntimeError(head.decode(errors="replace")))
                return
            self.upgraded = True
            if not data:
                return
        if not self.ready.done():
            self.ready.set_result(None)
        if self.keep:
            self.kept.append(data)
        now = time.monotonic()
        buffer = self.tail + data
        self.frames += buffer.count(FRAME) - self.tail.count(FRAME)
        if not self.done_at and END in buffer:
            self.done_at = now
            self.fleet.arrived()
        sent, position = self.fleet.probes.sent, 0
        while self.next_probe < len(sent):
            written, marker = sent[self.next_probe]
            found = buffer.find(marker, position)
            if found < 0:
                break
            self.fleet.latencies.append(now - written)
            self.next_probe += 1
            position = found + len(marker)
        self.tail = buffer[-TAIL:]

    def reset(self) -> None:
        self.frames, self.done_at, self.kept = 0, 0.0, []
        self.next_probe = len(self.fleet.probes.sent)


class Fleet:
    """``count`` clients of one server."""

    def __init__(self) -> None:
        self.clients: list[Client] = []
        self.probes = Probes()
        self.latencies: list[float] = []
        self._waiting = 0
        self._all: asyncio.Future[None] | None = None

    async def connect(self, port: int, path: str, headers: dict[str, str], count: int) -> None:
        loop = asyncio.get_running_loop()
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        for index in range(count):
            client = Client(request, self, keep=index == 0)
            await loop.create_connection(lambda: client, "127.0.0.1", port)  # noqa: B023
            self.clients.append(client)
        await asyncio.gather(*(client.ready for client in self.clients))

    def start(self) -> asyncio.Future[None]:
        """Counts from now; the future is done when every client has the end marker."""
        for client in self.clients:
            client.reset()
        self._waiting = len(self.clients)
        self._all = asyncio.get_running_loop().create_future()
        return self._all

    def arrived(self) -> None:
        self._waiting -= 1
        if self._waiting == 0 and self._all is not None and not self._all.done():
            self._all.set_result(None)

    def close(self) -> None:
        for client in self.clients:
            if client.transport is not None:
                client.transport.close()


def frames_of(data: bytes) -> list[str]:
    """The text frames in a server's WebSocket bytes (unmasked, no extensions)."""
    frames, at = [], 0
    while at + 2 <= len(data):
        length, at = data[at + 1] & 0x7F, at + 2
        if length == 126:
            length, at = int.from_bytes(data[at : at + 2], "big"), at + 2
        elif length == 127:
            length, at = int.from_bytes(data[at : at + 8], "big"), at + 8
        frames.append(data[at : at + length].decode())
        at += length
    return frames


@dataclass(frozen=True)
class BridgeRun:
    seconds: float  # the throughput run
    frames: int  # delivered, all clients
    recorded: list[str]  # the frames the first client received
    latencies: list[float]  # sorted, seconds
    probes: int


async def run_bridge(
    pbx: SimulatedPbx,
    clients: int,
    events: list[bytes],
    rate: float,
    seconds: float,
    cpu: int | None,
) -> BridgeRun:
    basic = base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
    with workdir("fanout") as directory:
        url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        await seed(url, servers=[pbx_server(pbx.port)], extensions_per_server=EXTENSIONS)
        port = free_port()
        env = bridge_env(
            url,
            port,
            BRIDGE_EVENTS_MAX_STREAMS_PER_ACCOUNT=str(clients * 2),
            BRIDGE_HTTP_MAX_CONNECTIONS_PER_ADDRESS="0",
            BRIDGE_EVENTS_QUEUE_SIZE="1000000",
        )
        bridge = await start_process(["-m", "bridge", "serve"], env, cpu)
        fleet = Fleet()
        try:
            await wait_healthy(port, connected_servers=1)
            await asyncio.sleep(1.0)  # the sync after login
            [session] = pbx.sessions()
            await fleet.connect(
                port,
                "/communication_manager/ws/event",
                {"Authorization": f"Basic {basic}"},
                clients,
            )
            await asyncio.sleep(0.5)
            everyone = fleet.start()
            started = time.monotonic()
            await pbx.blast([*events, encode(device_state("2100", "UNAVAILABLE"))], session=session)
            await everyone
            elapsed = max(client.done_at for client in fleet.clients) - started
            frames = [client.frames for client in fleet.clients]
            recorded = frames_of(b"".join(fleet.clients[0].kept))
            fleet.start()  # the latency run: probes among paced events
            await paced(session, fleet.probes, events, rate, seconds)
            await asyncio.sleep(1.0)
            latencies = sorted(fleet.latencies)
            probes = len(fleet.probes.sent)
        finally:
            fleet.close()
            await stop(bridge)
    assert len(set(frames)) == 1, "every client gets every frame"
    assert len(recorded) == frames[0], (len(recorded), frames[0])
    return BridgeRun(elapsed, sum(frames), recorded, latencies, probes)


async def paced(
    session: AmiSession, probes: Probes, events: list[bytes], rate: float, seconds: float
) -> None:
    """``rate`` events a second from ``events`` (round and round), a probe every 20 ms."""
    started, sent, tick = time.monotonic(), 0, 0
    while (now := time.monotonic()) - started < seconds:
        due = int((now - started) * rate)
        while sent < due:
            session.send_raw(events[sent % len(events)])
            sent += 1
        session.send(probes.make(tick))
        tick += 1
        await asyncio.sleep(max(0.0, started + tick * 0.02 - time.monotonic()))


async def run_baseline(
    frames: list[str], clients: int, cpu: int | None, batch: int = 0
) -> dict[str, float]:
    with workdir("fanout-base") as directory:
        frames_file = directory / "frames.json"
        frames_file.write_text(json.dumps(frames))
        port = free_port()
        server = await start_process(
            ["bench/fanout_baseline.py", str(port), str(frames_file)], {}, cpu
        )
        fleet = Fleet()
        try:
            await wait_port(port)
            await fleet.connect(port, "/ws", {}, clients)
            await asyncio.sleep(0.5)
            everyone = fleet.start()
            started = time.monotonic()
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{port}/go?batch={batch}") as response,
            ):
                assert int(await response.text()) == clients
            await everyone
            elapsed = max(client.done_at for client in fleet.clients) - started
            counts = [client.frames for client in fleet.clients]
        finally:
            fleet.close()
            await stop(server)
    assert len(set(counts)) == 1 and counts[0] == len(frames), (set(counts), len(frames))
    return {"seconds": elapsed, "frames": float(sum(counts))}


async def main(clients: int, count: int, rate: float, seconds: float) -> dict[str, float]:
    cores = cpus()
    server_cpu = cores[0] if cores else None
    if len(cores) > 1:
        pin(0, cores[1])  # this process (the PBX, the clients) on the other core
    events = [encode(h) for h in islice(realistic_event_stream(NUMBERS, calls=count), count)]
    async with SimulatedPbx(login_failure_delay=0.01) as pbx:
        bridge = await run_bridge(pbx, clients, events, rate, seconds, server_cpu)
    base = await run_baseline(bridge.recorded, clients, server_cpu)
    ceiling = await run_baseline(bridge.recorded, clients, server_cpu, batch=BATCH)
    latencies = bridge.latencies
    figures = {
        "clients": float(clients),
        "ami_events": float(count + 1),
        "frames_per_client": bridge.frames / clients,
        "bridge_frames_per_s": bridge.frames / bridge.seconds,
        "baseline_frames_per_s": base["frames"] / base["seconds"],
        "batched_frames_per_s": ceiling["frames"] / ceiling["seconds"],
        "latency_p50_ms": percentile(latencies, 0.5) * 1000,
        "latency_p99_ms": percentile(latencies, 0.99) * 1000,
        "latency_worst_ms": latencies[-1] * 1000,
        "latency_samples": float(len(latencies)),
    }
    figures["ratio"] = figures["bridge_frames_per_s"] / figures["baseline_frames_per_s"]
    figures["ratio_batched"] = figures["bridge_frames_per_s"] / figures["batched_frames_per_s"]
    print(
        f"{count + 1} AMI events -> {figures['frames_per_client']:.0f} frames to each of"
        f" {clients} WebSocket clients"
    )
    print(
        f"  bridge   {figures['bridge_frames_per_s']:9.0f} frames/s"
        f"  ({bridge.seconds:.2f} s, AMI events read to the last client's marker)"
    )
    print(
        f"  baseline {figures['baseline_frames_per_s']:9.0f} frames/s"
        f"  ({base['seconds']:.2f} s, bare aiohttp send_str to each client)"
    )
    print(
        f"  batched  {figures['batched_frames_per_s']:9.0f} frames/s"
        f"  ({ceiling['seconds']:.2f} s, the same server writing {BATCH} pre-framed frames a write)"
    )
    print(f"  ratio    {figures['ratio']:.2f}x the baseline (target >= 0.7x)")
    print(f"           {figures['ratio_batched']:.2f}x the batched writes")
    print(
        f"  latency at {rate:g} events/s ({rate * clients:.0f} frames/s + probes), AMI write ->"
        f" client: p50 {figures['latency_p50_ms']:.1f} ms  p99 {figures['latency_p99_ms']:.1f} ms"
        f"  worst {figures['latency_worst_ms']:.1f} ms ({len(latencies)} samples)"
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    result = asyncio.run(main(args.clients, args.events, args.rate, args.seconds))
    print(json.dumps(result, indent=2))
