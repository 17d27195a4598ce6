"""The simulated PBX's TCP side: listener, one task per connection, broadcast of events.

Each connection gets the banner, then its requests are read one at a time (as Asterisk's session
thread does) and handed to ``dispatch``. A connection that has not logged in after
``auth_timeout`` seconds is closed, as Asterisk's ``authtimeout`` does.

With a ``tls`` context it listens as Asterisk's ``tlsenable`` listener does: the handshake comes
first (a client that refuses the certificate never gets a session), then the same dialect.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bridge.ami.protocol import Header, encode
from bridge.pbxsim.session import AmiSession, event_classes

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
Dispatch = Callable[[AmiSession, bytes], Awaitable[bool]]


async def read_request(reader: asyncio.StreamReader) -> bytes | None:
    """The raw bytes of the next request, blank line included; None at end of stream."""
    lines = []
    while True:
        line = await reader.readline()
        if not line.endswith(b"\n"):
            return None
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)


class AmiServer:
    """Listener and sessions. ``dispatch`` answers a request; False closes the session."""

    def __init__(
        self,
        host: str,
        port: int,
        dispatch: Dispatch,
        changed: Callable[[], None],
        tls: ssl.SSLContext | None = None,
    ):
        self.host = host
        self.port = port
        self.tls = tls
        self.auth_timeout: float | None = 30.0
        self.write_timeout: float | None = None
        self.write_timeouts = 0  # sessions dropped for it
        self.sessions: dict[int, AmiSession] = {}
        self._dispatch = dispatch
        self._changed = changed
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._accepted = 0
        self._stopping = False

    @property
    def listening(self) -> bool:
        """True while new connections are accepted."""
        return self._server is not None

    async def listen(self) -> None:
        """Accept connections (on the same port as before, once one was bound)."""
        if self._server is None:
            self._server = await asyncio.start_server(
                self._serve, self.host, self.port, ssl=self.tls
            )
            self.port = self._server.sockets[0].getsockname()[1]

    def unlisten(self) -> None:
        """Refuse new connections; sessions already open go on."""
        server, self._server = self._server, None
        if server is not None:
            server.close()

    async def stop(self) -> None:
        """Stop listening, close every session (flushing what was sent) and end their tasks."""
        self.unlisten()
        self._stopping = True
        try:
            for session in list(self.sessions.values()):
                session.close()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self.sessions.clear()
            self._stopping = False

    def drop(self) -> int:
        """Abort every connection at once, as a network failure would; returns how many."""
        sessions = list(self.sessions.values())
        for session in sessions:
            session.abort()
        return len(sessions)

    def broadcast(self, headers: list[Header]) -> int:
        """Send an event to every session that takes its class; returns to how many."""
        classes = event_classes(headers)
        data = encode(headers)
        count = 0
        for session in self.sessions.values():
            if session.wants(classes):
                session.send_raw(data)
                count += 1
        return count

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` as a task that :meth:`stop` cancels."""
        self._track(asyncio.get_running_loop().create_task(coroutine))

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._track(task)
        self._accepted += 1
        session = AmiSession(
            self._accepted,
            writer,
            self.port,
            "TLS" if self.tls else "TCP",
            self.write_timeout,
        )
        self.sessions[session.number] = session
        self._changed()
        try:
            # Ends on: logoff or failed login, login timeout, reset by peer, a line too long.
            with contextlib.suppress(TimeoutError, ConnectionError, ValueError):
                await self._converse(session, reader)
            await self._close(session)
        except asyncio.CancelledError:
            self.sessions.pop(session.number, None)
            session.abort()
            if not self._stopping:  # stop() ends sessions this way: not an error then
                raise

    async def _converse(self, session: AmiSession, reader: asyncio.StreamReader) -> None:
        session.send_raw(BANNER)
        async with asyncio.timeout(self.auth_timeout) as guard:
            while (raw := await read_request(reader)) is not None:
                if not await self._dispatch(session, raw) or session.closed:
                    return
                if session.authenticated:
                    guard.reschedule(None)

    async def _close(self, session: AmiSession) -> None:
        if session.write_timed_out:
            self.write_timeouts += 1
        self.sessions.pop(session.number, None)
        session.close()
        self._changed()
        with contextlib.suppress(ConnectionError, OSError):
            await session.writer.wait_closed()
