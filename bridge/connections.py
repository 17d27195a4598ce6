"""How many connections the server holds: a cap per process and per client address, under the
process's file limit, and one log line per burst of refusals, never one per connection.

A connection past a cap is closed by the ``accept()`` that took it (bridge.listener), before
anything is read or answered: answering it would cost what the cap saves, a client that holds
hundreds of sockets is not waiting for an answer, and a burst of refused connections never
holds more than one file at a time. The file limit's soft value is raised to its hard value at
start-up (:func:`raise_file_limit`), and the default cap leaves a quarter of it (at least 256)
for the database, the AMI links, log files and what else the process opens, so that
``accept()`` does not run out of file descriptors. Should it anyway, asyncio's report of
each failed ``accept()`` (a traceback, thousands a second) becomes one line per burst too
(:func:`quiet_accept_errors`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import resource
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("bridge.http")

# File descriptors kept back from connections: a quarter of the limit, at least this many.
RESERVED_FILES = 256
# A burst of refusals ends when none came for this long (seconds).
QUIET_SECONDS = 5.0
ACCEPT_FAILED = "socket.accept() out of system resource"  # asyncio's context message
UNLIMITED_FILES = 2**20


def file_limit() -> int:
    """The process's soft limit on open files (an unlimited one counted as 2**20)."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return UNLIMITED_FILES if soft == resource.RLIM_INFINITY else soft


def raise_file_limit() -> int:
    """Raise the soft limit on open files to the hard limit (a soft limit of 1,024 is common,
    and each connection is one file); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:  # an unlimited hard limit, on some systems
            log.warning("cannot raise the file limit from %d to %d: %s", soft, hard, exc)
    return file_limit()


def default_max_connections(files: int) -> int:
    """Connections a process with this file limit may hold: what is left after a quarter of
    the limit, at least 256, is kept for everything else; at least a quarter of the limit."""
    return max(files - max(RESERVED_FILES, files // 4), files // 4, 1)


def max_connections(configured: int, files: int) -> int:
    """``[http] max_connections``, or the default for this file limit when it is 0; a warning
    when the configured cap leaves less room than the default would."""
    default = default_max_connections(files)
    if configured > default:
        log.warning(
            "http.max_connections %d is more than the file limit %d allows (%d): accept() may "
            "run out of file descriptors; raise LimitNOFILE or lower the cap",
            configured,
            files,
            default,
        )
    return configured or default


def address_key(host: str) -> str:
    """What the per-address cap counts by: the IPv4 address, or the IPv6 /64 (one host may
    hold a whole /64, so single IPv6 addresses would be no cap at all)."""
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return host  # a Unix socket's "" or whatever else: counted as given
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def peer_host(peer: Any) -> str:
    """The host of a peer address as ``accept()`` or a transport gives it ("" if none)."""
    return peer[0] if isinstance(peer, tuple) else ""


class BurstLog:
    """One warning when a burst of like events starts, one when it ends (no event for
    ``quiet`` seconds) with how many there were; nothing per event."""

    def __init__(self, summary: str, quiet: float = QUIET_SECONDS) -> None:
        self._summary = summary  # a format with the count and the seconds, e.g. "%d in %.1f s"
        self._quiet = quiet
        self._count = 0
        self._started = self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def note(self, first: str, *args: Any) -> None:
        """Count one event; the first of a burst logs ``first % args``."""
        self._last = time.monotonic()
        self._count += 1
        if self._count == 1:
            self._started = self._last
            log.warning(first, *args)
            self._timer = asyncio.get_running_loop().call_later(self._quiet, self._check)

    def _check(self) -> None:
        quiet_since = time.monotonic() - self._last
        if quiet_since < self._quiet:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._quiet - quiet_since, self._check)
        else:
            self.close()

    def close(self) -> None:
        """End the burst now (at shutdown): its summary, if one is under way."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._count:
            log.warning(self._summary, self._count, self._last - self._started)
            self._count = 0


class ConnectionLimiter:
    """Counts open connections, in all and per client address (:func:`address_key`), and
    refuses those past ``max_connections`` or ``per_address`` (0: no per-address cap).
    Addresses for which ``exempt`` is true (reverse proxies, say) have no per-address cap."""

    def __init__(
        self,
        max_connections: int,
        per_address: int,
        exempt: Callable[[str], bool] = lambda _host: False,
    ) -> None:
        self.max_connections = max_connections
        self.per_address = per_address
        self._exempt = exempt
        self.open = 0
        self._by_address: dict[str, int] = {}
        self._accepted: dict[Any, str] = {}  # peer address: key, admitted at the accept
        self._refusals = BurstLog("refused %d connections in %.1f s")
        self._accept_failures = BurstLog("accept() failed %d times in %.1f s")

    def admit(self, host: str) -> str | None:
        """The key to :meth:`release` the connection with, or None: refused."""
        key = address_key(host)
        if self.open >= self.max_connections:
            cap = f"{self.open} open (cap {self.max_connections})"
            self._refusals.note("refusing connections: %s", cap)
            return None
        held = self._by_address.get(key, 0)
        if self.per_address and held >= self.per_address and not self._exempt(host):
            cap = f"{held} open from {key} (cap {self.per_address} per address)"
            self._refusals.note("refusing connections: %s", cap)
            return None
        self.open += 1
        self._by_address[key] = held + 1
        return key

    def admit_accepted(self, peer: Any) -> bool:
        """:meth:`admit` a connection as it is accepted (bridge.listener.GatedSocket), from the
        peer address ``accept()`` gives; its protocol then :meth:`claim` s the key."""
        key = self.admit(peer_host(peer))
        if key is not None:
            self._accepted[peer] = key
        return key is not None

    def claim(self, peer: Any) -> str | None:
        """The key the connection from ``peer`` was admitted under at the accept, now its
        protocol's to :meth:`release`; None if it was not admitted there."""
        return self._accepted.pop(peer, None)

    def release(self, key: str) -> None:
        self.open -= 1
        held = self._by_address.pop(key) - 1
        if held:
            self._by_address[key] = held

    def accept_failed(self, reason: str) -> None:
        self._accept_failures.note(
            "accept() failed (%s) with %d connections open; retrying each second",
            reason,
            self.open,
        )

    def close(self) -> None:
        """At shutdown: the summaries of bursts under way."""
        self._refusals.close()
        self._accept_failures.close()


def quiet_accept_errors(loop: asyncio.AbstractEventLoop, connections: ConnectionLimiter) -> None:
    """Report ``accept()`` failing for want of file descriptors once per burst, instead of
    asyncio's traceback per failed call; other reports go where they went."""
    previous = loop.get_exception_handler()

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == ACCEPT_FAILED:
            exc = context.get("exception")
            connections.accept_failed(getattr(exc, "strerror", None) or "no resources")
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handle)
