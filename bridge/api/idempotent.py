"""``idempotent``: the ``Idempotency-Key`` request header on every POST action (the rules are
``bridge/idempotency.py``'s). Without the header nothing changes."""

from __future__ import annotations

import functools
import logging

from aiohttp import web

from bridge.api.audit import audit_details_key
from bridge.api.body import json_object
from bridge.api.errors import status_of
from bridge.api.render import dumps, json_body
from bridge.api.resolve import Handler, Target
from bridge.errors import BridgeError
from bridge.idempotency import HEADER, Answer, Claim, IdempotencyKeys, fingerprint, keeps, parse_key
from bridge.keys import idempotency_key

log = logging.getLogger(__name__)

REPLAYED = "Idempotent-Replayed"
INTERNAL_ERROR = {
    "status": 500,
    "error": "internal-error",
    "message": "Internal error; see the log",
    "details": {},
}


def idempotent(handler: Handler) -> Handler:
    """Wrap an action handler: with an ``Idempotency-Key``, a retry answers what the first
    request answered (409 while it is answered, 422 for another path or body)."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request, target: Target) -> web.StreamResponse:
        if HEADER not in request.headers:
            return await handler(request, target)
        await json_object(request)  # the body's own refusals first (408, 413, 415, 400)
        key = parse_key(request.headers[HEADER])
        assert key is not None
        keys = request.app[idempotency_key]
        request_print = fingerprint(request.method, request.rel_url.raw_path, await request.read())
        found = await keys.claim(target.account.id, key, request_print)
        if isinstance(found, Answer):
            request[audit_details_key]["outcome"] = "replayed"
            return _replay(found)
        try:
            response = await handler(request, target)
        except BridgeError as error:
            status = status_of(error)
            body = {
                "status": status,
                "error": error.error_id,
                "message": error.message,
                "details": error.details,
            }
            kept = Answer(status, dumps(body).decode()) if keeps(status, error.error_id) else None
            await _finish(keys, found, kept)
            raise
        except Exception:
            await _finish(keys, found, Answer(500, dumps(INTERNAL_ERROR).decode()))
            raise
        await _finish(keys, found, Answer(response.status))
        return response

    return wrapper


async def _finish(keys: IdempotencyKeys, claim: Claim, answer: Answer | None) -> None:
    try:
        await keys.finish(claim, answer)
    except Exception as exc:  # the answer stands; the key stays claimed until its lease ends
        log.warning("an %s answer was not recorded: %s", HEADER, type(exc).__name__)


def _replay(answer: Answer) -> web.StreamResponse:
    if answer.body is None:
        response = web.Response(status=answer.status)
    else:
        response = json_body(answer.body.encode(), answer.status)
    response.headers[REPLAYED] = "true"
    return response
