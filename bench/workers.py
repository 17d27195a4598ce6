"""Benchmark 7: reads with ``[http] workers = 2`` against one worker and against two bare aiohttp
processes sharing the port with SO_REUSEPORT.

``python -m bench.workers [--seconds 10] [--connections 32] [--rounds 3] [--pipeline 1]``

A directory of 1,000 licensed extensions (SQLite); ``GET CS/extensions`` (the list, 248 kB) and
``GET EXT`` by number, from keep-alive clients with Basic auth. Four servers, each as it would
run: the bridge with ``workers = 1`` (one process, pinned to the first core), the bridge with
``workers = 2`` (each worker pinned to a core of its own; the supervisor serves nothing), two
``bench/baseline_server.py --reuse-port`` processes on one port returning the same bytes (one
per core), and, as a control, one such bare process alone (on the first core): the bare pair
over it says what a second process can give on this machine at all. The bridge logs as it
ships (info, a line per request, to /dev/null).

The load: the servers of two of the four take both cores, so the load generator cannot have
one of its own; it is wrk (Debian's package: ``apt-get install wrk``), two threads, free to run
on either core in every run alike; its CPU time is measured and printed, and so is the servers'
(from /proc: requests per second of server CPU tell how well the work scales whatever the
load generator and the machine's other jobs took). With ``--pipeline N`` wrk sends N requests
at once on each connection, which cuts its system calls per request (and the servers'): a
check that the second process's limit on this machine is not the load's way of sending. Runs
alternate between the four, ``--rounds`` times; the median of each is reported. Targets:
workers = 2 at least 1.7x workers = 1, and at least 0.7x the bare pair.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from pathlib import Path

import aiohttp

from bench.common import (
    ADMIN,
    PASSWORD,
    bridge_env,
    cpus,
    free_port,
    pin,
    seed,
    start_process,
    stop,
    wait_healthy,
    workdir,
)
from bench.read_api import P, wait_port
from bench.wrk import WrkResult, require_wrk, run_wrk

KINDS = ("workers = 1", "workers = 2", "bare pair", "bare one")


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


async def main(
    seconds: float, connections: int, rounds: int, pipeline: int = 1
) -> dict[str, dict[str, float]]:
    require_wrk()
    cores = cpus()
    first, second = (cores[0], cores[1]) if len(cores) > 1 else (None, None)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()}
    results: dict[str, dict[str, float]] = {}
    with workdir("workers") as directory:
        url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        [cs] = await seed(
            url,
            servers=[{"slug": "bench", "name": "Bench", "ami_port": 9}],
            extensions_per_server=1000,
        )
        paths = {
            "CS/extensions (1,000)": f"{P}/coreServers/{cs}/extensions",
            "EXT by number": f"{P}/coreServers/getByName/bench/extensions/getByName/1500",
        }
        processes = []
        try:
            one_port, two_port = free_port(), free_port()
            one = await start_process(
                ["-m", "bridge", "serve"],
                bridge_env(url, one_port, BRIDGE_LOG_LEVEL="info"),
                first,
            )
            processes.append(one)
            two = await start_process(
                ["-m", "bridge", "serve"],
                bridge_env(url, two_port, BRIDGE_LOG_LEVEL="info", BRIDGE_HTTP_WORKERS="2"),
            )
            processes.append(two)
            await wait_healthy(one_port)
            await wait_healthy(two_port)
            workers = children(two.pid)
            assert len(workers) == 2, workers
            for worker, cpu in zip(workers, (first, second), strict=True):
                pin(worker, cpu)
            bodies = await _bodies(one_port, paths, auth)
            assert bodies == await _bodies(two_port, paths, auth)
            pair_ports, pair_pids, single_ports, single_pids = {}, {}, {}, {}
            for index, (name, body) in enumerate(bodies.items()):
                body_file = directory / f"body{index}.json"
                body_file.write_bytes(body)
                pair_ports[name] = free_port()
                pair = [await _bare(pair_ports[name], body_file, cpu) for cpu in (first, second)]
                processes += pair
                pair_pids[name] = tuple(process.pid for process in pair)
                single_ports[name] = free_port()
                single = await start_process(
                    ["bench/baseline_server.py", str(single_ports[name]), str(body_file)], {}, first
                )
                processes.append(single)
                single_pids[name] = (single.pid,)
                await wait_port(single_ports[name])
                await wait_port(pair_ports[name])
            for name, path in paths.items():
                servers = {
                    "workers = 1": (one_port, (one.pid,)),
                    "workers = 2": (two_port, tuple(workers)),
                    "bare pair": (pair_ports[name], pair_pids[name]),
                    "bare one": (single_ports[name], single_pids[name]),
                }
                runs: dict[str, list[WrkResult]] = {kind: [] for kind in KINDS}
                for _ in range(rounds):  # alternate, so that drifts touch all alike
                    for kind, (port, pids) in servers.items():
                        result = run_wrk(
                            f"http://127.0.0.1:{port}{path}",
                            auth,
                            connections=connections,
                            seconds=seconds,
                            server_pids=pids,
                            pipeline=pipeline,
                        )
                        assert result.errors == 0, (kind, result)
                        runs[kind].append(result)
                medians = {kind: _median(found) for kind, found in runs.items()}
                results[name] = _report(name, len(bodies[name]), medians, pipeline)
        finally:
            for process in processes:
                await stop(process)
    return results


async def _bodies(port: int, paths: dict[str, str], auth: dict[str, str]) -> dict[str, bytes]:
    bodies = {}
    async with aiohttp.ClientSession(headers=auth) as session:
        for name, path in paths.items():
            async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                assert response.status == 200
                bodies[name] = await response.read()
    return bodies


async def _bare(port: int, body: Path, cpu: int | None) -> asyncio.subprocess.Process:
    return await start_process(
        ["bench/baseline_server.py", str(port), str(body), "--reuse-port"], {}, cpu
    )


def _median(runs: list[WrkResult]) -> WrkResult:
    return sorted(runs, key=lambda run: run.rate)[len(runs) // 2]


def _report(name: str, size: int, runs: dict[str, WrkResult], pipeline: int) -> dict[str, float]:
    one, two, pair, single = (runs[kind] for kind in KINDS)
    figures = {
        "body_bytes": size,
        "one_worker_rps": one.rate,
        "two_workers_rps": two.rate,
        "bare_pair_rps": pair.rate,
        "two_over_one": two.rate / one.rate,
        "two_over_bare_pair": two.rate / pair.rate,
        "bare_pair_over_bare_one": pair.rate / single.rate,
        "wrk_cpu_share": two.cpu_share,
        "two_workers_cpu_share": two.server_cpu_share,
        "per_cpu_second_two_over_one": two.per_cpu_second / one.per_cpu_second,
    }
    if pipeline == 1:
        figures["two_workers_p99_ms"] = two.p99 * 1000
    print(f"{name}: {size} bytes")
    print(
        f"  {'':12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'servers CPU':>12}"
        f" {'req/CPU s':>10} {'wrk CPU':>8}"
    )
    for kind, run in runs.items():
        # wrk times a pipelined batch, not its requests: no latency is shown for those
        p50, p99 = (
            (f"{run.p50 * 1000:8.2f}", f"{run.p99 * 1000:8.2f}") if pipeline == 1 else ("-",) * 2
        )
        print(
            f"  {kind:12} {run.rate:9.0f} {p50:>8} {p99:>8}"
            f" {run.server_cpu_share:11.0%} {run.per_cpu_second:10.0f} {run.cpu_share:7.0%}"
        )
    print(f"  workers = 2 / workers = 1: {figures['two_over_one']:.2f}x (target >= 1.7x)")
    print(f"  workers = 2 / bare pair:   {figures['two_over_bare_pair']:.2f}x (target >= 0.7x)")
    print(
        f"  bare pair / bare one:      {figures['bare_pair_over_bare_one']:.2f}x"
        " (what a second process gives on this machine, with the load on the same cores)"
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--pipeline",
        type=int,
        default=1,
        help="requests wrk sends at once on a connection (HTTP pipelining; default 1)",
    )
    args = parser.parse_args()
    figures = asyncio.run(main(args.seconds, args.connections, args.rounds, args.pipeline))
    print(json.dumps(figures, indent=2))
