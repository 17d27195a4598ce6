"""The HTTP server around the app: protocol-level errors (a malformed request line, a header
over the size limit) answer in the API's JSON error shape too, with an access-log line, and are
logged without echoing the request (which may carry credentials). So do requests whose target
is not a path (``CONNECT host:443``, ``OPTIONS *``), which aiohttp's router would answer itself
in plain text. No answer names the Python or aiohttp version. HTTPS when ``[http]
tls_certificate`` is set.

A connection must deliver each request head within ``[http] header_timeout`` (from the
connection, or from the first byte of a later request on a kept-alive one) and is closed
otherwise: silent sockets and heads trickled a byte at a time hold nothing for long. aiohttp
closes a kept-alive connection idle for ``[http] keepalive_timeout``; ``bridge.api.body`` bounds
a request body. A connection past the caps of ``bridge.connections`` is closed as soon as it is
accepted.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiohttp import web, web_response
from aiohttp.streams import StreamReader
from aiohttp.typedefs import Handler
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from bridge.api.errors import answering, answering_protocol_errors, not_a_path
from bridge.connections import ConnectionLimiter, file_limit, max_connections, peer_host
from bridge.keys import access_log_key, clients_key, metrics_key, settings_key
from bridge.listener import AdmissionGate

log = logging.getLogger("bridge.http")

# aiohttp fills in ``Server`` from this module global when an answer's head is written, for every
# answer alike (handlers', the WebSocket upgrade's 101, protocol errors'): replacing the value
# here covers them all and costs nothing per request.
web_response.SERVER_SOFTWARE = "bridge"  # type: ignore[attr-defined]  # not re-exported

# Longer request lines and header fields than aiohttp's 8190 bytes (long getByName segments).
HANDLER_ARGS = {"max_line_size": 32768, "max_field_size": 32768}

RequestHandlerFunction = Callable[[BaseRequest], Awaitable[web.StreamResponse]]


class JsonErrorRequestHandler(RequestHandler):
    """aiohttp's protocol, answering what it cannot parse in JSON, in the access log, and
    closing connections that do not deliver a request head in time."""

    __slots__ = (
        "_answer_malformed",
        "_body",
        "_client",
        "_connections",
        "_head_since",
        "_head_timer",
        "_header_timeout",
    )

    def __init__(
        self,
        manager: web.Server,
        *,
        answer_malformed: Callable[[int, str], web.Response],
        header_timeout: float,
        connections: ConnectionLimiter,
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, **kwargs)
        self._answer_malformed = answer_malformed
        self._header_timeout = header_timeout
        self._connections = connections
        self._client: str | None = None  # the key the connection was admitted under
        self._head_since: float | None = None  # when the head awaited now began (None: none)
        self._head_timer: asyncio.TimerHandle | None = None
        self._body: StreamReader | None = None  # the last request's body

    @property
    def header_timeout(self) -> float:
        return self._header_timeout

    def admit(self, transport: asyncio.BaseTransport) -> bool:
        """Count the connection against the caps (bridge.listener does, before anything
        else), unless its listening socket did as it accepted it; False: refused."""
        peer = transport.get_extra_info("peername")
        self._client = self._connections.claim(peer)
        if self._client is None:  # from a listening socket that is not the bridge's own
            self._client = self._connections.admit(peer_host(peer))
        return self._client is not None

    def release(self) -> None:
        """The connection no longer counts (closed, or its TLS handshake failed)."""
        if self._client is not None:
            self._connections.release(self._client)
            self._client = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.release()
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Called for every request: the base class by name, which costs less than super().
        if self._upgraded or self._payload_parser is not None:  # WebSocket frames, say
            RequestHandler.data_received(self, data)
            return
        count = self._request_count
        RequestHandler.data_received(self, data)
        if self._request_count != count:  # a head arrived (the parser queued its request)
            self._head_since = None
            self._body = self._messages[-1][1]
        elif (
            data
            and self._head_since is None
            and (self._body is None or self._body.is_eof())  # not the body's bytes
            and not (self._close or self._force_close)
        ):
            self._await_head()

    def _await_head(self) -> None:
        self._head_since = self._loop.time()
        if self._head_timer is None:  # else it fires earlier, and looks again
            deadline = self._head_since + self._header_timeout
            self._head_timer = self._loop.call_at(deadline, self._head_overdue)

    def _head_overdue(self) -> None:
        self._head_timer = None
        if self._head_since is None or self.transport is None:
            return
        deadline = self._head_since + self._header_timeout
        if self._loop.time() < deadline:
            self._head_timer = self._loop.call_at(deadline, self._head_overdue)
        elif self._waiter is None or self._waiter.done():
            # A request is being answered and these bytes came early (pipelined): that answer
            # comes first; after it, aiohttp's keep-alive timer bounds the wait.
            self._head_since = None
        else:
            log.debug("closing a connection from %s: no request head in time", self.peername)
            self.force_close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        log.info("malformed HTTP request from %s: %s", request.remote, type(exc).__name__)
        if request.writer.output_size > 0:
            raise ConnectionError("response already started; closing the connection")
        response = self._answer_malformed(status, request.remote or "-")
        response.force_close()
        return response


class JsonErrorServer(web.Server):
    """aiohttp's server, whose connections meet the listener's gate first (the caps, TLS)."""

    tls: ssl.SSLContext | None = None

    def __call__(self) -> Any:  # a protocol factory for loop.create_server
        handler = JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)
        return AdmissionGate(handler, self.tls)


def path_targets_only(
    app_handler: RequestHandlerFunction, off_path: Handler
) -> RequestHandlerFunction:
    """``app_handler`` for requests whose target is a path, ``off_path`` for the others.

    aiohttp's router answers a target that is not a path itself (a plain-text 404), outside the
    handlers' wrapper. A plain function, not a middleware: one string test per request."""

    def handle(request: BaseRequest) -> Awaitable[web.StreamResponse]:
        if request.rel_url.raw_path.startswith("/"):
            return app_handler(request)
        return off_path(cast(web.Request, request))  # the app's request factory made it

    return handle


class BridgeRunner(web.AppRunner):
    """An AppRunner whose connections answer protocol errors with JSON, within the app's
    ``[http]`` timeouts and connection caps (``connections``)."""

    def __init__(
        self, app: web.Application, tls: ssl.SSLContext | None = None, **kwargs: Any
    ) -> None:
        self.tls = tls
        http = app[settings_key].http
        self.connections = ConnectionLimiter(
            max_connections(http.max_connections, file_limit()),
            http.max_connections_per_address,
            exempt=app[clients_key].trusts,  # a reverse proxy brings everyone's connections
        )
        answer_malformed = answering_protocol_errors(app[metrics_key], app[access_log_key])
        super().__init__(
            app,
            access_log=None,
            answer_malformed=answer_malformed,
            connections=self.connections,
            keepalive_timeout=http.keepalive_timeout,
            header_timeout=http.header_timeout,
            # what is left of a body after its answer is read and dropped for at most this long
            lingering_time=http.body_timeout,
            **{**HANDLER_ARGS, **kwargs},
        )

    async def cleanup(self) -> None:
        await super().cleanup()
        self.connections.close()

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = JsonErrorServer  # same layout; only __call__ differs
        cast(JsonErrorServer, server).tls = self.tls
        app = self.app
        off_path = answering(app[metrics_key], app[access_log_key], app[clients_key])(not_a_path)
        server.request_handler = path_targets_only(server.request_handler, off_path)
        return server
