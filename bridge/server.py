"""The HTTP server around the app: protocol-level errors (a malformed request line, a header
over the size limit) answer in the API's JSON error shape too, with an access-log line, and are
logged without echoing the request (which may carry credentials). So do requests whose target
is not a path (``CONNECT host:443``, ``OPTIONS *``), which aiohttp's router would answer itself
in plain text. No answer names the Python or aiohttp version."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiohttp import web, web_response
from aiohttp.typedefs import Handler
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from bridge.api.errors import answering, answering_protocol_errors, not_a_path
from bridge.keys import access_log_key, metrics_key

log = logging.getLogger("bridge.http")

# aiohttp fills in ``Server`` from this module global when an answer's head is written, for every
# answer alike (handlers', the WebSocket upgrade's 101, protocol errors'): replacing the value
# here covers them all and costs nothing per request.
web_response.SERVER_SOFTWARE = "bridge"  # type: ignore[attr-defined]  # not re-exported

# Longer request lines and header fields than aiohttp's 8190 bytes (long getByName segments).
HANDLER_ARGS = {"max_line_size": 32768, "max_field_size": 32768}

RequestHandlerFunction = Callable[[BaseRequest], Awaitable[web.StreamResponse]]


class JsonErrorRequestHandler(RequestHandler):
    """aiohttp's protocol, answering what it cannot parse in JSON, in the access log."""

    def __init__(
        self,
        manager: web.Server,
        *,
        answer_malformed: Callable[[int, str], web.Response],
        **kwargs: Any,
    ) -> None:
        super().__init__(manager, **kwargs)
        self._answer_malformed = answer_malformed

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
    def __call__(self) -> RequestHandler:
        return JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


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
    """An AppRunner whose connections answer protocol errors with JSON."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        answer_malformed = answering_protocol_errors(app[metrics_key], app[access_log_key])
        super().__init__(
            app,
            access_log=None,
            answer_malformed=answer_malformed,
            **{**HANDLER_ARGS, **kwargs},
        )

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = JsonErrorServer  # same layout; only __call__ differs
        off_path = answering(self.app[metrics_key], self.app[access_log_key])(not_a_path)
        server.request_handler = path_targets_only(server.request_handler, off_path)
        return server
