"""The OpenAPI 3.1 document, served without credentials at ``/openapi.json``.

Nothing about paths is written by hand: :mod:`.grammar` walks the URL grammar of
:mod:`bridge.api.routes` and lists every concrete path template it accepts, and
:mod:`.operations` gives each the methods ``routes.ENDPOINTS`` gives it, with every status
it can answer; :mod:`.schemas` holds the JSON shapes, :mod:`.components` the error answers,
headers and parameters, :mod:`.stream` the WebSocket. The document is built and serialised
once per process.

Said in ``info.description`` rather than as operations: every GET also answers HEAD; a trailing
slash is ignored; methods a path does not list answer 405 with ``Allow``; unknown paths 404.
"""

from __future__ import annotations

import functools
from typing import Any

from aiohttp import web

import bridge
from bridge.api.audit import PATH as AUDIT
from bridge.api.event_stream import PATH as EVENT_STREAM
from bridge.api.openapi import (
    components,
    operation_schemas,
    operations,
    panel,
    schemas,
    stream,
)
from bridge.api.openapi.grammar import path_parameters, templates
from bridge.api.openapi.schemas import ref
from bridge.api.render import dumps, json_body
from bridge.api.routes import ENDPOINTS

PATH = "/openapi.json"
HEALTH = "/healthz"
METRICS = "/metrics"
TAGS = ("coreServers", "users", "extensions", "actions", "queues", "agents", "events", "service")
DESCRIPTION = (
    "A drop-in for the iSymphony 3.2+ live REST resource over Asterisk PBXs (AMI).\n\n"
    "Every object in a path is `{id}` or `getByName/{name}`, and the forms mix in one URL; "
    "`users`/`user` and `agents`/`agent` are both accepted. Each such form is listed as its "
    "own path. Every GET also answers HEAD; a trailing slash is ignored. Lists are bare JSON "
    "arrays, narrowed by `limit` and `offset`, and leave out what the account may not view.\n\n"
    "Decisions, in order: an `Expect` other than `100-continue` (417); the path and method "
    "(404 `unknown-path`; 405 with `Allow` for any method a path does not list, and for "
    "`CONNECT` and `OPTIONS *`: the bridge is no proxy); the host (403 `host-forbidden`: a "
    "name the bridge does not serve, DNS rebinding); the origin (403 `origin-forbidden`: "
    "a browser request whose `Origin` is neither the bridge's own nor listed in "
    "`[http] cors_origins`, or that says "
    "`Sec-Fetch-Site: cross-site`; requests without `Origin` are served); credentials (401); "
    "the path left to right, where the first missing object is 404 and the first restricted "
    "one 403; the body (408, 413, 415 unless `application/json`, 400); the right to "
    "act (403); the rate limit (429); the value (422); the AMI link (503); Asterisk (502, 504). "
    "Every error is `{status, error, message, details}` JSON, and the app's answers carry "
    "`X-Request-Id` (with `[http] workers` above 1, also `X-Bridge-Worker`: `INDEX/PID` of the "
    "worker process that answered). The WebSocket event stream is "
    "`GET /communication_manager/ws/event` (see its `x-websocket`).\n\n"
    "CORS is off unless `[http] cors_origins` lists origins: then those origins get "
    "`Access-Control-Allow-Origin` (with credentials) on every answer, and their preflight "
    "`OPTIONS` is answered 204 before routing (other origins' preflights: 403 `cors-refused`)."
)


def document() -> dict[str, Any]:
    """The whole OpenAPI document, as a plain dict."""
    paths: dict[str, Any] = {}
    for template in templates():
        item: dict[str, Any] = {}
        if template.parameters:
            item["parameters"] = [ref("parameters", p) for p in template.parameters]
        for method in ENDPOINTS[template.endpoint]:
            item[method.lower()] = operations.operation(template, method)
        paths[template.path] = item
    paths[EVENT_STREAM] = {"get": stream.event_stream()}
    paths[HEALTH] = {"get": operations.health()}
    paths[AUDIT] = {"get": operations.audit()}
    paths[METRICS] = {"get": operations.metrics()}
    paths[PATH] = {"get": operations.this_document()}
    paths.update(panel.paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Asterisk AMI bridge: live REST API",
            "version": bridge.__version__,
            "description": DESCRIPTION,
        },
        "tags": [{"name": name} for name in TAGS],
        "security": [{"basicAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "metricsToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "[metrics] token, when one is set",
                },
            },
            "schemas": {
                **schemas.SCHEMAS,
                **operation_schemas.SCHEMAS,
                **stream.EVENT_SCHEMAS,
                **panel.SCHEMAS,
            },
            "parameters": {**components.PARAMETERS, **path_parameters()},
            "headers": components.HEADERS,
            "responses": components.RESPONSES,
        },
    }


@functools.cache
def serialized() -> bytes:
    return dumps(document())


async def openapi_json(_request: web.Request) -> web.Response:
    return json_body(serialized())
