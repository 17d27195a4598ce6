"""The HTTP server around the app: protocol-level errors (a malformed request line, a header
over the size limit) answer in the API's JSON error shape too, and are logged without echoing
the request (which may carry credentials); HTTPS when ``[http] tls_certificate`` is set."""

from __future__ import annotations

import logging
import ssl
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from bridge.api.errors import error_response
from bridge.settings import ConfigError, HttpSettings

log = logging.getLogger("bridge.http")

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
