"""``bridge serve`` with ``[http] workers`` above 1: the main process starts that many workers
(bridge.workers) on the one port and watches over them; it serves nothing itself.

It says ``READY=1`` to systemd once every worker listens, and ``STOPPING=1`` on SIGTERM or
SIGINT; then it closes every worker's stdin, which each takes as its SIGTERM (it drains its
requests and event streams and logs off AMI), and exits 0 when they all exit 0. SIGHUP reopens
its log file and is passed on to the workers. A worker that dies is logged and started again,
after a pause that doubles while it keeps dying young, so a crash loop does not spin. A worker
whose first process ends before it listens fails the start, with its exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from sqlalchemy.exc import SQLAlchemyError

from bridge import systemd
from bridge.commands.database import NotMigrated, require_migrated
from bridge.db import database_problem
from bridge.listener import tls_context
from bridge.logs import reopen_logs
from bridge.settings import ConfigError, Settings
from bridge.workers import reuse_port_problem, settings_to_json

log = logging.getLogger("bridge")

# A worker that dies within STABLE_SECONDS of its start waits twice as long as the time before
# (from RESTART_MIN up to RESTART_MAX) to be started again; after a longer life, RESTART_MIN.
RESTART_MIN, RESTART_MAX, STABLE_SECONDS = 0.5, 60.0, 30.0


class WorkerSlot:
    """One worker's place: its process, started again whenever it dies, until the stop."""

    def __init__(self, index: int, settings: Settings, stopping: asyncio.Event) -> None:
        self.index = index
        payload = settings_to_json(settings)
        self._payload = len(payload).to_bytes(8, "big") + payload
        self._stopping = stopping
        self.process: asyncio.subprocess.Process | None = None
        self.listening = asyncio.Event()  # set when its first process listens
        self._serving = False  # its process now listens (and handles SIGHUP)
        self._pause = 0.0

    async def run(self) -> int:
        """Until the stop: then the last process's exit code. If the first process ends
        before it listens, its exit code (never 0): the start failed."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            code, death = await self._run_once()
            if self._stopping.is_set():
                return code
            if not self.listening.is_set():
                return code if code > 0 else 1
            lived = loop.time() - started
            young = lived < STABLE_SECONDS and self._pause > 0
            self._pause = min(self._pause * 2, RESTART_MAX) if young else RESTART_MIN
            log.error("%s after %.1f s; starting it again in %.1f s", death, lived, self._pause)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._pause):
                    await self._stopping.wait()
            if self._stopping.is_set():
                return 0

    async def _run_once(self) -> tuple[int, str]:
        """Start a process and wait for its end: its exit code, and its death in words."""
        try:
            process = self.process = await self._start()
        except OSError as exc:  # out of memory or processes, say
            return 1, f"worker {self.index} could not be started ({exc.strerror})"
        if await _listens(process):
            self._serving = True
            self.listening.set()
        code = await process.wait()
        self.process, self._serving = None, False
        return code, f"worker {self.index} (pid {process.pid}) {_death(code)}"

    def stop(self) -> None:
        """Close the worker's stdin: it drains and exits."""
        process = self.process
        if process is not None and process.stdin is not None:
            process.stdin.close()

    def hang_up(self) -> None:
        """Pass SIGHUP on (the worker reopens its log file). Not to one still starting: SIGHUP
        would end it; it opened its log file a moment ago."""
        if self._serving and self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGHUP)

    async def _start(self) -> asyncio.subprocess.Process:
        env = {name: value for name, value in os.environ.items() if name != "NOTIFY_SOCKET"}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bridge.workers",
            str(self.index),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            process_group=0,  # a terminal's Ctrl-C reaches the supervisor, which stops them
        )
        log.info("worker %d started (pid %d)", self.index, process.pid)
        assert process.stdin is not None
        process.stdin.write(self._payload)
        with contextlib.suppress(ConnectionError):  # it died at once: run() sees it
            await process.stdin.drain()
        if self._stopping.is_set():
            process.stdin.close()
        return process


async def _listens(process: asyncio.subprocess.Process) -> bool:
    """True once the worker says it listens; False if it ends first."""
    assert process.stdout is not None
    while line := await process.stdout.readline():
        if line.startswith(b"READY=1"):
            return True
    return False


def _death(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


async def preflight(settings: Settings) -> str | None:
    """What stops every worker alike, said once: TLS files, the port, the database."""
    try:
        tls_context(settings.http)
    except ConfigError as exc:
        return f"configuration error: {exc}"
    problem = reuse_port_problem(settings.http)
    if problem is not None:
        return problem
    try:
        await require_migrated(settings.database.url)
    except NotMigrated as exc:
        return str(exc)
    except (SQLAlchemyError, OSError) as exc:
        return database_problem(exc)
    return None


async def supervise(settings: Settings) -> int:
    """Run ``[http] workers`` workers until SIGTERM or SIGINT; the exit code (0: all clean)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    problem = await preflight(settings)
    if problem is not None:
        print(f"bridge: {problem}", file=sys.stderr)
        return 2
    http, stopping = settings.http, asyncio.Event()
    slots = [WorkerSlot(index, settings, stopping) for index in range(1, http.workers + 1)]
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: _hang_up(slots))
    runs = [asyncio.create_task(slot.run()) for slot in slots]
    listening = asyncio.create_task(_all_listen(slots))
    stop = asyncio.create_task(stopping.wait())
    done, _ = await asyncio.wait({listening, stop, *runs}, return_when=asyncio.FIRST_COMPLETED)
    failure = None if stopping.is_set() else next((t.result() for t in runs if t in done), None)
    if failure is None and listening in done:
        where = f"http{'s' if http.tls_certificate else ''}://{http.host}:{http.port}"
        log.info("%d workers listening on %s", http.workers, where)
        systemd.notify(f"READY=1\nSTATUS={http.workers} workers listening on {where}")
        await stopping.wait()
    if failure is None:
        log.info("stopping: each worker drains its requests and event streams, logs off AMI")
        systemd.notify("STOPPING=1")
    else:
        log.error("a worker could not start (exit code %d): stopping the others", failure)
    stopping.set()
    for slot in slots:
        slot.stop()
    codes = await asyncio.gather(*runs)
    listening.cancel()
    stop.cancel()
    if failure is not None:
        return failure
    log.info("stopped")
    return 0 if all(code == 0 for code in codes) else 1


async def _all_listen(slots: list[WorkerSlot]) -> None:
    for slot in slots:
        await slot.listening.wait()


def _hang_up(slots: list[WorkerSlot]) -> None:
    reopen_logs()
    for slot in slots:
        slot.hang_up()
