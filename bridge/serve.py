"""``bridge serve``: the service on its port until SIGTERM (``bridge demo`` runs it too).

Start-up refusals (bad TLS files, an unmigrated or unreachable database, a port in use) are one
line on stderr and exit code 2; systemd hears ``READY=1`` once the port listens and
``STOPPING=1`` on SIGTERM or SIGINT; SIGHUP reopens the log file. With ``[http] workers`` above
1, this runs in each worker (bridge.workers), and the supervisor (bridge.supervisor) hears those
messages instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bridge import systemd
from bridge.app import SchemaNotReady, create_app
from bridge.auth import FIRST_ACCOUNT_HINT
from bridge.connections import quiet_accept_errors, raise_file_limit
from bridge.db import database_problem
from bridge.keys import directory_key
from bridge.listener import listening_sockets, tls_context
from bridge.logs import reopen_logs
from bridge.server import BridgeRunner
from bridge.settings import ConfigError, Settings
from bridge.workers import Worker

log = logging.getLogger("bridge")


async def serve(settings: Settings, worker: Worker | None = None) -> int:
    """Serve until SIGTERM or SIGINT (or, for a ``worker``, its supervisor's end); the
    process's exit code (0 after a clean stop)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # only the revision check runs here
    try:
        tls = tls_context(settings.http)
    except ConfigError as exc:
        print(f"bridge: configuration error: {exc}", file=sys.stderr)
        return 2
    files = raise_file_limit()
    app, stop = create_app(settings), asyncio.Event()
    notify = systemd.notify if worker is None else worker.notify
    if worker is not None:
        worker.attach(app, stop.set)
    runner = BridgeRunner(app, tls)
    quiet_accept_errors(asyncio.get_running_loop(), runner.connections)
    try:
        await runner.setup()
    except SchemaNotReady as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        await runner.cleanup()
        return 2
    except (SQLAlchemyError, OSError) as exc:
        print(f"bridge: {database_problem(exc)}", file=sys.stderr)
        await runner.cleanup()
        return 2
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reopen_logs)
    try:
        # plain TCP, capped at the accept: the connections negotiate TLS themselves
        # (bridge.listener)
        try:
            for sock in listening_sockets(
                settings.http.host,
                settings.http.port,
                runner.connections,
                reuse_port=worker is not None,
            ):
                await web.SockSite(runner, sock).start()
        except OSError as exc:
            where = f"{settings.http.host}:{settings.http.port}"
            print(f"bridge: cannot listen on {where}: {exc.strerror}", file=sys.stderr)
            return 2
        where = f"http{'s' if tls else ''}://{settings.http.host}:{settings.http.port}"
        cap, per_address = runner.connections.max_connections, runner.connections.per_address
        log.info(
            "%slistening on %s (at most %d connections, %s per address; file limit %d)",
            "" if worker is None else f"worker {worker.index} (pid {os.getpid()}) ",
            where,
            cap,
            per_address or "any number",
            files,
        )
        if worker is None or worker.index == 1:
            log.info("operator panel: %s/panel/", where)
            if not runner.app[directory_key].current.accounts_by_username:
                log.warning("%s", FIRST_ACCOUNT_HINT)
        notify(f"READY=1\nSTATUS=listening on {where}")
        await stop.wait()
        log.info("stopping: draining requests, closing event streams, logging off AMI")
        notify("STOPPING=1")
    finally:
        await runner.cleanup()
    log.info("stopped")
    return 0
