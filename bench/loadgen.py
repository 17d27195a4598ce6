"""A small, fast HTTP/1.1 keep-alive load generator on raw asyncio sockets.

Python clients such as aiohttp's cost more per request than the server being measured; this
one writes a prepared request, reads the head, skips the body by Content-Length, and records
each request's latency. Run it in its own process (:func:`run_in_process`), on its own core.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from dataclasses import dataclass

from bench.common import percentile


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float]  # seconds, one per request
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)


def request_bytes(
    host: str, port: int, path: str, headers: dict[str, str], method: str = "GET", body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _client(
    host: str,
    port: int,
    request: bytes,
    until: float,
    latencies: list[float],
    statuses: dict[int, int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def run_load(
    host: str, port: int, request: bytes, connections: int, seconds: float, warmup: float = 1.0
) -> LoadResult:
    # a short warm-up (caches, remembered credentials), then the measured run
    await asyncio.gather(
        *(
            _client(host, port, request, time.perf_counter() + warmup, [], {})
            for _ in range(connections)
        )
    )
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(_client(host, port, request, until, latencies, statuses) for _ in range(connections))
    )
    return LoadResult(len(latencies), time.perf_counter() - started, latencies, statuses)


def _child(queue: multiprocessing.Queue, cpu: int | None, args: tuple) -> None:  # type: ignore[type-arg]
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    queue.put(asyncio.run(run_load(*args)))


def run_in_process(
    host: str, port: int, request: bytes, connections: int, seconds: float, cpu: int | None = None
) -> LoadResult:
    """The load from another process (pinned to ``cpu`` where the OS allows)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(
        target=_child, args=(queue, cpu, (host, port, request, connections, seconds))
    )
    process.start()
    result: LoadResult = queue.get()
    process.join()
    return result
