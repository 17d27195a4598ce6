"""One client connection of the simulated PBX, and the reply helpers its actions answer with."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bridge.ami.protocol import Header, Message, encode
from bridge.pbxsim.events import SessionInfo


def event_classes(headers: Iterable[Header]) -> frozenset[str]:
    """The classes in an event's ``Privilege`` header (``call,all`` -> ``{"call"}``)."""
    for key, value in headers:
        if key.lower() == "privilege":
            return frozenset(v.strip().lower() for v in value.split(",")) - {"all", ""}
    return frozenset()


class AmiSession:
    """A connected client: its socket (``transport`` TCP or TLS), login state (``challenge``:
    the MD5 challenge it was given, once it asked) and the event classes it receives.

    ``write_timeout`` (seconds, None: never) is manager.conf's ``writetimeout``: Asterisk writes
    each message with that inactivity timeout (``send_string`` in main/manager.c), and a write
    that makes no progress for so long ends the session. Here: when bytes wait in the
    transport's buffer (the kernel took no more) and none of them goes out for ``write_timeout``,
    the session is aborted and ``write_timed_out`` set."""

    def __init__(
        self,
        number: int,
        writer: asyncio.StreamWriter,
        local_port: int,
        transport: str = "TCP",
        write_timeout: float | None = None,
    ) -> None:
        self.number = number
        self.transport = transport
        self.challenge = ""
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.remote_port: int = peer[1] if isinstance(peer, tuple) else 0
        self.local_port = local_port
        self.session_id = f"0x7f40{0x8C0043D0 + number * 0x1010:08x}"
        self.started = dt.datetime.now()
        self.username = ""
        self.authenticated = False
        self.read: frozenset[str] = frozenset()
        self.write: frozenset[str] = frozenset()
        self.events: frozenset[str] = frozenset()
        self.closed = False
        self.write_timeout = write_timeout
        self.write_timed_out = False
        self._stall: _Stall | None = None

    def info(self) -> SessionInfo:
        """What security events report about this session."""
        return SessionInfo(
            self.session_id,
            self.local_port,
            self.remote_port,
            self.started,
            self.username,
            self.transport,
        )

    def wants(self, classes: frozenset[str]) -> bool:
        """True when an event of these classes reaches this session (read permission and
        ``Events`` both cover them; an event with no ``Privilege`` needs events on at all)."""
        if not self.authenticated or self.closed:
            return False
        if not classes:
            return bool(self.events)
        return classes <= self.read and classes <= self.events

    def send(self, message: Message | list[Header]) -> None:
        """Write one message (dropped once the session is closing)."""
        self.send_raw(encode(message))

    def send_raw(self, data: bytes) -> None:
        """Write raw bytes (dropped once the session is closing)."""
        if not self.closed and not self.writer.is_closing():
            self.writer.write(data)
            if self._stall is not None:
                self._stall.added += len(data)
            elif self.write_timeout is not None:
                self._watch_writes(self.write_timeout)

    def _watch_writes(self, timeout: float) -> None:
        """While bytes wait in the transport, check every ``timeout`` that some went out."""
        waiting = self.writer.transport.get_write_buffer_size()
        if waiting and not self.closed:
            loop = asyncio.get_running_loop()
            self._stall = _Stall(waiting)
            loop.call_later(timeout, self._check_writes, timeout, self._stall, False)

    def _check_writes(self, timeout: float, stall: _Stall, again: bool) -> None:
        if self.closed or stall is not self._stall:
            return
        if self.writer.transport.get_write_buffer_size() < stall.waiting + stall.added:
            self._stall = None  # progress: watch the next period afresh
            self._watch_writes(timeout)
        elif not again:
            # Look once more after the loop's next poll for writable sockets: if this process
            # itself was late (busy), the transport gets its turn to write first.
            asyncio.get_running_loop().call_soon(self._check_writes, timeout, stall, True)
        else:
            self.write_timed_out = True
            self.abort()

    def close(self) -> None:
        """Close after what is buffered has been sent (Asterisk's own hang-up)."""
        self.closed = True
        self.writer.close()

    def abort(self) -> None:
        """Drop the connection at once, buffered data lost (a network failure)."""
        self.closed = True
        self.writer.transport.abort()


@dataclass(slots=True)
class _Stall:
    """Bytes waiting in a session's transport when a write-timeout period began, and bytes
    written since: if the buffer still holds their sum, nothing went out in that period."""

    waiting: int
    added: int = 0


@dataclass(slots=True)
class Reply:
    """Answers to one action on one session, ``ActionID`` placed where Asterisk puts it."""

    session: AmiSession
    request: Message

    @property
    def action_id(self) -> list[Header]:
        """``[("ActionID", id)]``, or ``[]`` when the request had none (or an empty one)."""
        value = self.request.get("ActionID")
        return [("ActionID", value)] if value else []

    def respond(self, status: str, message: str | None = None, *extra: Header) -> None:
        """``Response``, ``ActionID``, ``Message`` (if given), then ``extra``."""
        text = [("Message", message)] if message is not None else []
        self.session.send([("Response", status), *self.action_id, *text, *extra])

    def success(self, message: str | None = None, *extra: Header) -> None:
        """A ``Response: Success``."""
        self.respond("Success", message, *extra)

    def error(self, message: str) -> None:
        """A ``Response: Error`` with its message."""
        self.respond("Error", message)

    def list_start(self, message: str) -> None:
        """The first message of a list answer: ``EventList: start``."""
        self.session.send(
            [("Response", "Success"), *self.action_id, ("EventList", "start"), ("Message", message)]
        )

    def list_item(self, name: str, headers: list[Header]) -> None:
        """One list event; ``ActionID`` comes last, as in Asterisk's list events."""
        self.session.send([("Event", name), *headers, *self.action_id])

    def list_complete(self, name: str, count: int) -> None:
        """The closing ``<name>`` event with ``EventList: Complete`` and ``ListItems``."""
        self.session.send(
            [("Event", name), *self.action_id, ("EventList", "Complete"), ("ListItems", str(count))]
        )


ActionHandler = Callable[[Reply], None]
