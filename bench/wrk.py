"""wrk (Debian's ``wrk`` package), the load generator where the bench needs both cores.

The Python generator of bench/loadgen.py costs about as much CPU per request as the server it
measures, so it gets a core of its own; when the servers measured take both cores (two workers,
two bare processes) that is not possible, and wrk, in C on epoll, costs a fraction of that. Its
own CPU time is measured (``wait4``) and reported, so a run says what the load took.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
# wrk's Lua: each write sends ``depth`` requests on the connection at once (HTTP/1.1
# pipelining), so that the load costs fewer system calls per request
PIPELINE = """
init = function(args)
  local requests = {}
  for i = 1, tonumber(args[1]) do requests[i] = wrk.format() end
  pipelined = table.concat(requests)
end
request = function() return pipelined end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50: float  # seconds
    p99: float
    errors: int  # non-2xx answers and socket errors
    cpu_seconds: float  # wrk's own user + system time
    server_cpu_seconds: float  # the servers' (the pids given), over the same run
    output: str  # wrk's report

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_share(self) -> float:
        """wrk's CPU time over the run's wall time (1.0: one core)."""
        return self.cpu_seconds / self.seconds

    @property
    def server_cpu_share(self) -> float:
        """The servers' CPU time over the run's wall time (2.0: two cores)."""
        return self.server_cpu_seconds / self.seconds

    @property
    def per_cpu_second(self) -> float:
        """Requests per second of the servers' CPU time."""
        return self.requests / self.server_cpu_seconds if self.server_cpu_seconds else 0.0


def process_cpu_seconds(pid: int) -> float:
    """User + system time of a running process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("this benchmark needs wrk: apt-get install wrk")
    return path


def run_wrk(
    url: str,
    headers: dict[str, str],
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    cpus: set[int] | None = None,
    server_pids: tuple[int, ...] = (),
    pipeline: int = 1,
) -> WrkResult:
    """``wrk --latency`` for ``seconds`` against ``url`` (after a one-second warm-up run);
    ``server_pids``: the processes whose CPU time over the run is measured; ``pipeline``:
    requests sent at once on each connection (1: one at a time)."""
    command = [require_wrk(), "--latency", f"-t{threads}", f"-c{connections}"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(PIPELINE)
        script.flush()
        ending = [url] if pipeline == 1 else ["-s", script.name, url, "--", str(pipeline)]
        _wrk([*command, "-d1s", *ending], cpus)  # warm-up: caches, remembered credentials
        before = sum(process_cpu_seconds(pid) for pid in server_pids)
        output, cpu = _wrk([*command, f"-d{seconds:g}s", *ending], cpus)
    server_cpu = sum(process_cpu_seconds(pid) for pid in server_pids) - before
    requests = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    if requests is None:
        raise RuntimeError(f"wrk said:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    return WrkResult(
        requests=int(requests[1]),
        seconds=float(requests[2]) * UNITS[requests[3]],
        p50=_percentile(output, "50%"),
        p99=_percentile(output, "99%"),
        errors=errors,
        cpu_seconds=cpu,
        server_cpu_seconds=server_cpu,
        output=output,
    )


def _wrk(command: list[str], cpus: set[int] | None) -> tuple[str, float]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    if cpus is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(process.pid, cpus)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited with {process.returncode}:\n{output}")
    return output, usage.ru_utime + usage.ru_stime


def _percentile(output: str, label: str) -> float:
    found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no {label} latency in wrk's output:\n{output}")
    return float(found[1]) * UNITS[found[2]]
