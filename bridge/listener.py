"""What a new connection meets before HTTP: the connection caps, then, with HTTPS, the TLS
handshake.

A connection counts against the caps from the moment it is accepted, handshake included, and a
handshake must end within ``[http] header_timeout``: a client that opens TLS connections and says
nothing holds no more than one that opens plain ones. (asyncio's own TLS server would keep a
silent handshake for a minute before the HTTP protocol, and its caps, ever saw it.) So the bridge
listens on plain TCP and starts TLS itself, on each admitted connection.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Protocol

from bridge.settings import ConfigError, HttpSettings


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
