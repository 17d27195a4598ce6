"""The HTTP server around the app: protocol-level errors (a malformed request line, a header
over the size limit) answer in the API's JSON error shape too, and are logged without echoing
the request (which may carry credentials). No answer names the Python or aiohttp version."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from aiohttp import web, web_response
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from bridge.api.errors import error_response

log = logging.getLogger("bridge.http")

# aiohttp fills in ``Server`` from this module global when an answer's head is written, for every
# answer alike (handlers', the WebSocket upgrade's 101, protocol errors'): replacing the value
# here covers them all and costs nothing per request.
web_response.SERVER_SOFTWARE = "bridge"  # type: ignore[attr-defined]  # not re-exported

# Longer request lines and header fields than aiohttp's 8190 bytes (long getByName segments).
HANDLER_ARGS = {"max_line_size": 32768, "max_field_size": 32768}


class JsonErrorRequestHandler(RequestHandler):
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
        phrase = HTTPStatus(status).phrase
        error_id = "bad-request" if status < 500 else "internal-error"
        response = error_response(status, error_id, f"{phrase}: malformed HTTP request", {})
        response.force_close()
        return response


class JsonErrorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


class BridgeRunner(web.AppRunner):
    """An AppRunner whose connections answer protocol errors with JSON."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        super().__init__(app, access_log=None, **{**HANDLER_ARGS, **kwargs})

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = JsonErrorServer  # same layout; only __call__ differs
        return server
