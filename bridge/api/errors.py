"""One wrapper, around every route's handler, maps errors to statuses and JSON bodies; nothing
else catches for mapping.

It wraps the handlers rather than being an aiohttp middleware: a middleware costs every request
aiohttp's middleware chain (a tenth of a read's time in a profile). Every path has a route, so
that no answer escapes it: the routes take every method and refuse the others themselves
(:func:`get_only`), and a last catch-all route answers unknown paths.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web
from aiohttp.http import HttpVersion11
from aiohttp.typedefs import Handler

from bridge import errors
from bridge.api.clients import ClientPolicy
from bridge.api.render import dumps
from bridge.keys import clients_key
from bridge.logs import AccessLog, account_var, request_id_var, route_var
from bridge.metrics import Metrics

log = logging.getLogger("bridge.http")

STATUS: dict[type[errors.BridgeError], int] = {
    errors.BadRequest: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.MethodNotAllowed: 405,
    errors.RequestTimeout: 408,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.InvalidValue: 422,
    errors.RateLimited: 429,
    errors.AmiActionFailed: 502,
    errors.AmiUnavailable: 503,
    errors.ServiceUnavailable: 503,
    errors.AmiTimeout: 504,
}
# aiohttp's own HTTP exceptions (its router, body limits) get the same JSON shape.
HTTP_ERROR_IDS = {
    400: "bad-request",
    404: "unknown-path",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    417: "expectation-failed",
}
ExpectHandler = Callable[[web.Request], Awaitable[web.StreamResponse | None]]
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# What the bridge serves anywhere (a 405 for a method it serves nowhere names these).
SERVED_METHODS = ("GET", "HEAD", "POST")


_ids = itertools.count(1)
_ID_PREFIX = os.urandom(4).hex()  # per process: ids stay unique across restarts and processes


def _new_id() -> str:
    return f"{_ID_PREFIX}{next(_ids):08x}"


def status_of(error: errors.BridgeError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(
    status: int, error_id: str, message: str, details: dict[str, Any]
) -> web.Response:
    body = dumps({"status": status, "error": error_id, "message": message, "details": details})
    return web.Response(body=body, status=status, content_type="application/json", charset="utf-8")


def answering(
    metrics: Metrics, access: AccessLog, clients: ClientPolicy
) -> Callable[[Handler], Handler]:
    """The wrapper that maps a handler's errors to JSON answers, gives each request an id,
    counts it and logs one line for it."""

    def wrap(handler: Handler) -> Handler:
        return functools.partial(_answer, handler, metrics, access, clients)

    return wrap


def get_only(handler: Handler) -> Handler:
    """A route that answers GET (and HEAD); other methods get 405 with ``Allow``. Then, as on
    every route, a browser request from a foreign page gets 403 (docs/api.md, "CORS")."""

    @functools.wraps(handler)
    async def only(request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            raise errors.MethodNotAllowed(request.method, ("GET",))
        request.app[clients_key].check_origin(request)
        return await handler(request)

    return only


async def unknown_path(request: web.Request) -> web.StreamResponse:
    raise web.HTTPNotFound()


async def not_a_path(request: web.Request) -> web.StreamResponse:
    """A request target that is not a path: CONNECT's ``host:port``, ``OPTIONS *``. The bridge
    is no proxy and has no server-wide options (RFC 9110 sections 9.3.6 and 9.3.7)."""
    if request.method in ("CONNECT", "OPTIONS"):
        raise errors.MethodNotAllowed(request.method, SERVED_METHODS)
    raise errors.BadRequest("The request target must be a path")


def expecting(answered: Callable[[Handler], Handler]) -> ExpectHandler:
    """The routes' handler of an ``Expect`` header: ``100-continue`` as aiohttp's own does it,
    any other expectation a 417 through ``answered`` (aiohttp's answers it in plain text,
    outside the wrapper). It runs only for requests that carry the header."""
    refuse = answered(_expectation_failed)

    async def expect(request: web.Request) -> web.StreamResponse | None:
        if request.version != HttpVersion11:
            return None
        if request.headers.get(hdrs.EXPECT, "").lower() == "100-continue":
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0  # the answer proper has not started
            return None
        return await refuse(request)

    return expect


async def _expectation_failed(request: web.Request) -> web.StreamResponse:
    raise web.HTTPExpectationFailed()


def answering_protocol_errors(
    metrics: Metrics, access: AccessLog
) -> Callable[[int, str], web.Response]:
    """The answer to a request aiohttp could not parse (bridge.server), given its status and
    client address: JSON, with a request id and an access-log line like any other answer;
    its method and path are unknown (``-``)."""

    def answer(status: int, remote: str) -> web.Response:
        request_id = _new_id()
        phrase = HTTPStatus(status).phrase
        error_id = "bad-request" if status < 500 else "internal-error"
        response = error_response(status, error_id, f"{phrase}: malformed HTTP request", {})
        response.headers["X-Request-Id"] = request_id
        metrics.request("unknown", "unknown", status, 0.0)
        access.request("-", "-", status, 0.0, "-", remote, request_id)
        return response

    return answer


async def _answer(
    handler: Handler,
    metrics: Metrics,
    access: AccessLog,
    clients: ClientPolicy,
    request: web.Request,
) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-Id")
    request_id = incoming if incoming and REQUEST_ID.fullmatch(incoming) else _new_id()
    request_id_var.set(request_id)
    started = time.perf_counter()
    try:
        response = await handler(request)
    except errors.BridgeError as error:
        response = error_response(status_of(error), error.error_id, error.message, error.details)
        _decorate(response, error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(
            exc.status, HTTP_ERROR_IDS.get(exc.status, "http-error"), exc.reason, {}
        )
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception:
        path = request.rel_url.raw_path[:200]
        log.exception("unexpected error in request %s %s", request.method, path)
        response = error_response(
            500, "internal-error", "Internal error; see the log", {"requestId": request_id}
        )
    if not response.prepared:
        response.headers["X-Request-Id"] = request_id
    seconds = time.perf_counter() - started
    method, status = request.method, response.status
    metrics.request(route_var.get(), method, status, seconds)
    access.request(
        method,
        # a CONNECT's target (host:port) is not in its URL's path
        (request.rel_url.raw_path or request.raw_path)[:200],
        status,
        seconds,
        account_var.get(),
        clients.address(request),
        request_id,
    )
    return response


def _decorate(response: web.Response, error: errors.BridgeError) -> None:
    if isinstance(error, errors.Unauthenticated):
        response.headers["WWW-Authenticate"] = error.challenge
    elif isinstance(error, errors.MethodNotAllowed):
        response.headers["Allow"] = ", ".join(error.allowed)
    elif isinstance(error, errors.RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    elif isinstance(error, errors.RequestTimeout):
        response.force_close()  # the rest of the body may still come (RFC 9110, 15.5.9)
