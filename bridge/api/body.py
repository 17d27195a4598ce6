"""Request bodies: JSON objects, within ``[http] max_body_bytes`` (413 past it) and
``[http] body_timeout`` (408 past it), sent as ``application/json`` (415 otherwise: a browser
sends a form or ``text/plain`` to another site without asking it first, so a JSON-only API
cannot be driven by a foreign page's form)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientPayloadError, web

from bridge.errors import BadRequest, PayloadTooLarge, RequestTimeout, UnsupportedMediaType
from bridge.keys import settings_key


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; ``{}`` when there is none (curl -X POST sends none)."""
    timeout = request.app[settings_key].http.body_timeout
    try:
        async with asyncio.timeout(timeout):
            raw = await request.read()
    except TimeoutError:
        # a client that never finishes its body must not hold the connection
        raise RequestTimeout(
            f"The body did not arrive within {timeout:g} s", error_id="request-timeout"
        ) from None
    except (ConnectionError, ClientPayloadError):
        # the client went away mid-body: nobody reads the answer, but the log and the
        # trail get a 400, not a traceback
        raise BadRequest("The body was cut short", error_id="incomplete-body") from None
    except web.HTTPRequestEntityTooLarge:
        # one of ours, so that the action's wrapper (the audit trail) sees it like any refusal
        raise PayloadTooLarge(
            f"The body is over {request.client_max_size} bytes", error_id="payload-too-large"
        ) from None
    if not raw:
        return {}
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            "A request body must be sent as Content-Type: application/json",
            error_id="unsupported-media-type",
        )
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("The body is not valid JSON", error_id="invalid-json") from None
    if not isinstance(value, dict):
        raise BadRequest("The body must be a JSON object", error_id="invalid-body")
    return value
