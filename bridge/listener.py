"""What a new connection meets before HTTP: the connection caps, then, with HTTPS, the TLS
handshake.

A connection counts against the caps from the moment it is accepted, handshake included, and a
handshake must end within ``[http] header_timeout``: a client that opens TLS connections and says
nothing holds no more than one that opens plain ones. (asyncio's own TLS server would keep a
silent handshake for a minute before the HTTP protocol, and its caps, ever saw it.) So the bridge
listens on plain TCP and starts TLS itself, on each admitted connection.

The caps are applied by the listening socket's ``accept()`` itself (:class:`GatedSocket`): one
past a cap is closed there and then. asyncio accepts up to 128 connections in one turn of its
loop and meets each one's protocol two turns later, so a burst refused by the protocols would
hold hundreds of files at once, and run ``accept()`` out of them under a modest file limit.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from typing import Any, Protocol

from bridge.connections import ConnectionLimiter
from bridge.settings import ConfigError, HttpSettings

# Refused connections closed in one accept() call at most; the rest wait for the loop's next turn.
REFUSALS_PER_ACCEPT = 256


class GatedSocket(socket.socket):
    """A listening socket whose ``accept()`` counts each connection against ``connections``
    and closes one past a cap at once, handing asyncio only those admitted."""

    __slots__ = ("connections",)

    def __init__(self, connections: ConnectionLimiter, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = connections

    def accept(self) -> tuple[socket.socket, Any]:
        for _ in range(REFUSALS_PER_ACCEPT):
            # BlockingIOError once none is waiting: asyncio then ends its turn of accepts
            fd, peer = self._accept()  # type: ignore[attr-defined]  # socket.accept's own step
            if self.connections.admit_accepted(peer):
                return socket.socket(self.family, self.type, self.proto, fileno=fd), peer
            os.close(fd)
        raise BlockingIOError


def gated(sock: socket.socket, connections: ConnectionLimiter) -> GatedSocket:
    """``sock`` (bound, not yet listening) as a :class:`GatedSocket`; ``sock`` is detached."""
    return GatedSocket(connections, sock.family, sock.type, sock.proto, fileno=sock.detach())


def listening_sockets(
    host: str, port: int, connections: ConnectionLimiter, reuse_port: bool = False
) -> list[GatedSocket]:
    """Bound sockets for ``host`` (every address it resolves to, as asyncio's create_server
    binds them) and ``port``. OSError if one cannot be bound; none is left open then."""
    found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    bound: list[GatedSocket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = GatedSocket(connections, family, kind, proto)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError:
        for sock in bound:
            sock.close()
        raise
    return bound


class GatedHandler(Protocol):
    """The HTTP protocol behind the gate (bridge.server.JsonErrorRequestHandler)."""

    @property
    def header_timeout(self) -> float: ...

    def admit(self, transport: asyncio.BaseTransport) -> bool: ...

    def release(self) -> None: ...

    def connection_made(self, transport: asyncio.BaseTransport) -> None: ...

    def data_received(self, data: bytes) -> None: ...

    def eof_received(self) -> bool | None: ...


class AdmissionGate(asyncio.Protocol):
    """The first protocol of every accepted connection: admits it (or closes it at once),
    then hands the transport to the HTTP protocol, with TLS negotiated first when ``tls``."""

    def __init__(self, handler: GatedHandler, tls: ssl.SSLContext | None) -> None:
        self._handler = handler
        self._tls = tls
        self._handshake: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        handler = self._handler
        if not handler.admit(transport):
            transport.close()
            return
        if self._tls is None:
            transport.set_protocol(handler)  # type: ignore[arg-type]  # an asyncio.Protocol
            handler.connection_made(transport)
            return
        transport.pause_reading()  # nothing may reach this protocol before TLS takes over
        self._handshake = asyncio.get_running_loop().create_task(
            self._negotiate(transport, self._tls)
        )

    def connection_lost(self, exc: BaseException | None) -> None:
        # only while the handshake has not started: then TLS (and the handler) own the socket
        if self._handshake is not None:
            self._handshake.cancel()
        self._handler.release()

    async def _negotiate(self, transport: asyncio.Transport, tls: ssl.SSLContext) -> None:
        handler, early = self._handler, _EarlyBytes()
        loop = asyncio.get_running_loop()
        try:
            secured = await loop.start_tls(
                transport,
                early,
                tls,
                server_side=True,
                ssl_handshake_timeout=handler.header_timeout,
            )
        except (OSError, EOFError, asyncio.CancelledError):  # ssl.SSLError is an OSError
            transport.close()
            handler.release()
            return
        if secured is None or early.lost:
            handler.release()
            return
        # bytes may follow the handshake before this coroutine runs: they go first
        secured.set_protocol(handler)  # type: ignore[arg-type]  # an asyncio.Protocol
        handler.connection_made(secured)
        for data in early.data:
            handler.data_received(data)
        if early.eof:
            handler.eof_received()


class _EarlyBytes(asyncio.Protocol):
    """The application protocol of a TLS connection until the HTTP protocol takes over: keeps
    what arrives in between."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.eof = False
        self.lost = False

    def data_received(self, data: bytes) -> None:
        self.data.append(data)

    def eof_received(self) -> bool:
        self.eof = True
        return True

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost = True


def tls_context(http: HttpSettings) -> ssl.SSLContext | None:
    """The server's TLS context (TLS 1.2 at least) from ``[http] tls_certificate`` and
    ``tls_key``, or None for plain HTTP. ConfigError naming the key whose file cannot be read
    or used; a key protected by a passphrase is refused (nobody is there to type it)."""
    if not http.tls_certificate:
        return None
    for name, path in (
        ("http.tls_certificate", http.tls_certificate),
        ("http.tls_key", http.tls_key),
    ):
        try:
            with open(path, "rb"):
                pass
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
            reason = getattr(exc, "strerror", None) or "not a usable path"
            raise ConfigError(f"{name} {path!r} cannot be read: {reason}") from None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ssl.create_default_context(cafile=http.tls_certificate)  # certificates, at least?
    except ssl.SSLError:
        raise ConfigError(
            f"http.tls_certificate {http.tls_certificate} holds no PEM certificate"
        ) from None
    try:
        context.load_cert_chain(http.tls_certificate, http.tls_key, password=_no_passphrase)
    except (OSError, _Encrypted):
        raise ConfigError(
            f"http.tls_key {http.tls_key} is not the unencrypted PEM private key of"
            f" http.tls_certificate {http.tls_certificate}"
        ) from None
    return context


class _Encrypted(Exception):
    pass


def _no_passphrase() -> bytes:
    raise _Encrypted
