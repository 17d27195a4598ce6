"""One middleware maps errors to statuses and JSON bodies; nothing else catches for mapping."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bridge import errors
from bridge.api.render import dumps
from bridge.keys import metrics_key
from bridge.logs import account_var, request_id_var, route_var

log = logging.getLogger("bridge.http")
access_log = logging.getLogger("bridge.access")

STATUS: dict[type[errors.BridgeError], int] = {
    errors.BadRequest: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.MethodNotAllowed: 405,
    errors.PayloadTooLarge: 413,
    errors.InvalidValue: 422,
    errors.RateLimited: 429,
    errors.AmiActionFailed: 502,
    errors.AmiUnavailable: 503,
    errors.AmiTimeout: 504,
}
# aiohttp's own HTTP exceptions (its router, body limits) get the same JSON shape.
HTTP_ERROR_IDS = {
    400: "bad-request",
    404: "unknown-path",
    405: "method-not-allowed",
    413: "payload-too-large",
}
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


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


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Maps errors to JSON answers, gives the request an id, and logs one line for it."""
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex[:16]
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
        error_id = HTTP_ERROR_IDS.get(exc.status, "http-error")
        response = error_response(exc.status, error_id, exc.reason, {})
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception:
        log.exception(
            "unexpected error in request %s %s [%s]",
            request.method,
            request.rel_url.raw_path[:200],
            request_id,
        )
        response = error_response(
            500, "internal-error", "Internal error; see the log", {"requestId": request_id}
        )
    if not response.prepared:
        response.headers["X-Request-Id"] = request_id
    seconds = time.perf_counter() - started
    access_log.info(
        "%s %s %d %.1f ms %s %s",
        request.method,
        request.rel_url.raw_path[:200],
        response.status,
        seconds * 1000,
        account_var.get(),
        request.remote or "-",
    )
    metrics = request.app.get(metrics_key)
    if metrics is not None:
        metrics.request(route_var.get(), request.method, response.status, seconds)
    return response


def _decorate(response: web.Response, error: errors.BridgeError) -> None:
    if isinstance(error, errors.Unauthenticated):
        response.headers["WWW-Authenticate"] = 'Basic realm="bridge"'
    elif isinstance(error, errors.MethodNotAllowed):
        response.headers["Allow"] = ", ".join(error.allowed)
    elif isinstance(error, errors.RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
