"""A worker of ``bridge serve`` when ``[http] workers`` is above 1 (bridge.supervisor starts
them): ``python -m bridge.workers INDEX``.

A worker is ``bridge serve`` (bridge.serve) in a fresh interpreter, with the supervisor's settings
read from its stdin, listening with SO_REUSEPORT so that the kernel spreads new connections over
the workers. Each has its own AMI links, live state, connection caps and metrics. It tells the
supervisor, not systemd, that it listens (a line on its stdout); it stops as on SIGTERM when its
stdin closes (the supervisor stops it so, or is gone). Its answers name it in ``X-Bridge-Worker``
(``INDEX/PID``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import socket
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from aiohttp import web

from bridge.logs import configure_logging
from bridge.settings import HttpSettings, Settings

WORKER_HEADER = "X-Bridge-Worker"


@dataclass(frozen=True)
class Worker:
    """A worker process's side of its link to the supervisor."""

    index: int
    channel: BinaryIO  # to the supervisor (the worker's stdout when it started)

    def notify(self, message: str) -> bool:
        """``systemd.notify`` for a worker: the message's first line, to the supervisor."""
        try:
            self.channel.write(message.split("\n", 1)[0].encode() + b"\n")
            self.channel.flush()
        except OSError:
            return False
        return True

    def attach(self, app: web.Application, stop: Callable[[], None]) -> None:
        """Name this worker in every answer of ``app``; ``stop`` when the supervisor is gone."""
        name = f"{self.index}/{os.getpid()}"

        async def tag(_request: web.Request, response: web.StreamResponse) -> None:
            response.headers[WORKER_HEADER] = name

        app.on_response_prepare.append(tag)
        loop = asyncio.get_running_loop()

        def stdin_readable() -> None:
            if not os.read(0, 4096):  # end of file: the supervisor is gone
                loop.remove_reader(0)
                stop()

        loop.add_reader(0, stdin_readable)


def worker_main() -> int:
    """``python -m bridge.workers INDEX``: one worker, with its settings on stdin."""
    from bridge.serve import serve  # here: bridge.serve imports this module

    index = int(sys.argv[1])
    size = int.from_bytes(_read_exactly(0, 8), "big")
    settings = settings_from_json(_read_exactly(0, size))
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes where errors go, not to the supervisor
    configure_logging(settings.log)  # after the imports, as in `bridge serve` (they log)
    return asyncio.run(serve(settings, Worker(index, channel)))


def settings_to_json(settings: Settings) -> bytes:
    """The supervisor's settings for its workers (read back by ``settings_from_json``)."""
    return json.dumps(dataclasses.asdict(settings)).encode()


def settings_from_json(text: bytes) -> Settings:
    raw = json.loads(text)
    hints = typing.get_type_hints(Settings)
    return Settings(
        **{
            name: hints[name](
                **{key: tuple(v) if isinstance(v, list) else v for key, v in values.items()}
            )
            for name, values in raw.items()
        }
    )


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise SystemExit("bridge: the supervisor closed the worker's stdin")
        data += chunk
    return data


def reuse_port_problem(http: HttpSettings) -> str | None:
    """Why ``[http] workers`` cannot share ``http.host:port``, or None: SO_REUSEPORT missing,
    or the port held by something else (another bridge's workers included)."""
    where = f"{http.host}:{http.port}"
    missing = (
        f"http.workers = {http.workers} needs SO_REUSEPORT, which this system does not offer:"
        " set http.workers = 1"
    )
    if not hasattr(socket, "SO_REUSEPORT"):
        return missing
    try:
        addresses = socket.getaddrinfo(
            http.host or None, http.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        return f"cannot listen on {where}: {exc.strerror}"
    for family, kind, proto, _, address in addresses:
        # first alone, as a second bridge on the port is refused; then as the workers bind
        for reuse_port in (False, True):
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                if reuse_port:
                    try:
                        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                    except OSError:
                        return missing
                try:
                    probe.bind(address)
                except OSError as exc:
                    return f"cannot listen on {where}: {exc.strerror}"
    return None


if __name__ == "__main__":
    sys.exit(worker_main())
