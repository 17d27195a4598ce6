"""Operations: one per method of each grammar path (from ``ENDPOINTS``), and ``/healthz`` and
``/openapi.json`` (the event stream's is in :mod:`.stream`).

Each operation lists every status it can answer, following the API's order of
decisions: 403 (a foreign origin) everywhere; 401 and 429 (login-busy) wherever credentials
are checked; 404 wherever the path names objects; 400 for lists (``limit``/``offset``) and
action bodies; 408, 409, 413, 415, 422, 502, 503, 504 for actions. 405 and unknown-path 404s belong
to no operation (``components.responses`` and the document's description say them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.api.openapi import components as c
from bridge.api.openapi.grammar import Template
from bridge.api.openapi.schemas import JSON, ref
from bridge.api.resolve import Kind
from bridge.api.routes import LIST, ONE

PAGED = {LIST, "agents", "callSegments", "calls"}


@dataclass(frozen=True, slots=True)
class Answer:
    """What an endpoint answers: a summary, a tag, and the 200 body (None: 204, an action)."""

    summary: str
    tag: str
    body: dict[str, Any] | None


def _array(name: str) -> dict[str, Any]:
    return {"type": "array", "items": ref("schemas", name)}


def _one(name: str) -> dict[str, Any]:
    return ref("schemas", name)


# Every key of routes.ENDPOINTS: an endpoint missing here fails the build, and the tests.
ANSWERS: dict[tuple[Kind, str], Answer] = {
    (Kind.CORE_SERVER, LIST): Answer(
        "Enabled core servers the account may view", "coreServers", _array("CoreServer")
    ),
    (Kind.CORE_SERVER, ONE): Answer("One core server", "coreServers", _one("CoreServer")),
    (Kind.USER, LIST): Answer("Users the account may view", "users", _array("User")),
    (Kind.USER, ONE): Answer("One user", "users", _one("User")),
    (Kind.EXTENSION, LIST): Answer(
        "Extensions bound to licensed/full users that the account may view",
        "extensions",
        _array("Extension"),
    ),
    (Kind.EXTENSION, ONE): Answer("One extension", "extensions", _one("Extension")),
    (Kind.EXTENSION, "agents"): Answer(
        "The extension's agents in enabled queues", "agents", _array("Agent")
    ),
    (Kind.CALL_SEGMENT, LIST): Answer(
        "The extension's live call segments", "extensions", _array("CallSegment")
    ),
    (Kind.CALL_SEGMENT, ONE): Answer(
        "One live call segment of the extension", "extensions", _one("CallSegment")
    ),
    (Kind.CALL_SEGMENT, "hangup"): Answer("Hang up the live call segment", "actions", None),
    (Kind.CALL_SEGMENT, "transfer"): Answer(
        "Blind-transfer the other party of the live call segment to destinationNumber",
        "actions",
        None,
    ),
    (Kind.EXTENSION, "originate"): Answer(
        "Originate a call from the extension to destinationNumber", "actions", None
    ),
    (Kind.EXTENSION, "enableDnd"): Answer("Turn DND on (idempotent)", "actions", None),
    (Kind.EXTENSION, "disableDnd"): Answer("Turn DND off (idempotent)", "actions", None),
    (Kind.QUEUE, LIST): Answer("Enabled queues the account may view", "queues", _array("Queue")),
    (Kind.QUEUE, ONE): Answer("One queue", "queues", _one("Queue")),
    (Kind.QUEUE, "calls"): Answer(
        "Callers waiting in the queue, longest waiting first", "queues", _array("WaitingCall")
    ),
    (Kind.AGENT, LIST): Answer(
        "The queue's agents bound to licensed extensions", "agents", _array("Agent")
    ),
    (Kind.AGENT, ONE): Answer("One agent", "agents", _one("Agent")),
    (Kind.AGENT, "pause"): Answer("Pause the agent in its queue, with a reason", "actions", None),
    (Kind.AGENT, "unpause"): Answer("Unpause the agent in its queue", "actions", None),
}


def operation(template: Template, method: str) -> dict[str, Any]:
    answer = ANSWERS[template.endpoint]
    parameters = [ref("parameters", "X-Request-Id")]
    statuses = {401, 403, 429}
    if template.endpoint[1] in PAGED:
        parameters += [ref("parameters", "limit"), ref("parameters", "offset")]
        statuses.add(400)
    if template.parameters:  # objects on the path: each may be missing or restricted
        statuses.add(404)
    result: dict[str, Any] = {
        "operationId": operation_id(method, template.segments),
        "summary": answer.summary,
        "tags": [answer.tag],
        "parameters": parameters,
    }
    if answer.body is None:
        result["requestBody"] = _action_body(template.endpoint[1])
        parameters.append(ref("parameters", "Idempotency-Key"))
        statuses |= {400, 408, 409, 413, 415, 422, 502, 503, 504}
        replayed = {"Idempotent-Replayed": ref("headers", "Idempotent-Replayed")}
        ok = {"204": {"description": "Done.", "headers": c.REQUEST_ID | replayed}}
    else:
        ok = {"200": c.ok(answer.body, "OK.")}
    result["responses"] = ok | {
        str(status): ref("responses", c.ERRORS[status][0]) for status in sorted(statuses)
    }
    return result


def operation_id(method: str, segments: tuple[str, ...]) -> str:
    """``getCoreServersByNameExtensionsByIdAgents``: unique, as paths are."""
    words = [method.lower()]
    for previous, segment in zip(("", *segments), segments, strict=False):
        if segment == "getByName":
            continue
        if segment.startswith("{"):
            words.append("ByName" if previous == "getByName" else "ById")
        else:
            words.append(segment[0].upper() + segment[1:])
    return "".join(words)


def _action_body(what: str) -> dict[str, Any]:
    if what in ("originate", "transfer"):
        schema = ref("schemas", "OriginateRequest")
        return {"required": True, "content": {JSON: {"schema": schema}}}
    if what == "pause":
        schema = ref("schemas", "PauseRequest")
        return {"required": False, "content": {JSON: {"schema": schema}}}
    return {
        "required": False,
        "description": "Optional and ignored; when sent, it must be a JSON object.",
        "content": {JSON: {"schema": {"type": "object"}}},
    }


def health() -> dict[str, Any]:
    schema = ref("schemas", "Health")
    ready = {
        "name": "ready",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["ami"]},
        "description": "ami: answer 503 while any enabled core server's AMI link is down.",
    }
    return {
        "operationId": "getHealth",
        "summary": "The service's state; each core server's AMI status for admins",
        "tags": ["service"],
        "security": [{}, {"basicAuth": []}],
        "parameters": [ready],
        "responses": {
            "200": c.ok(schema, "The database answers (and with ready=ami, every link is up)."),
            **{str(s): ref("responses", c.ERRORS[s][0]) for s in (400, 401, 403, 429)},
            "503": c.ok(schema, "The database is unreachable (or with ready=ami, a link is down)."),
        },
    }


def this_document() -> dict[str, Any]:
    return {
        "operationId": "getOpenApi",
        "summary": "This document",
        "tags": ["service"],
        "security": [],
        "responses": {
            "200": c.ok({"type": "object"}, "The OpenAPI 3.1 document."),
            "403": ref("responses", c.ERRORS[403][0]),
        },
    }


def audit() -> dict[str, Any]:
    filters = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": description,
        }
        for name, description in (
            ("account", "Only this account's actions (username)."),
            ("extensionId", "Only actions on this extension."),
            ("coreServerId", "Only actions on this core server."),
            (
                "action",
                "originate, enableDnd, disableDnd, hangup, transfer, pause or unpause.",
            ),
        )
    ]
    return {
        "operationId": "getAudit",
        "summary": "The audit trail of actions, newest first (admin accounts only)",
        "tags": ["service"],
        "parameters": [
            ref("parameters", "X-Request-Id"),
            ref("parameters", "limit"),
            ref("parameters", "offset"),
            *filters,
        ],
        "responses": {
            "200": c.ok({"type": "array", "items": ref("schemas", "AuditEntry")}, "OK."),
            **{str(s): ref("responses", c.ERRORS[s][0]) for s in (400, 401, 403, 429)},
        },
    }


def metrics() -> dict[str, Any]:
    return {
        "operationId": "getMetrics",
        "summary": "Prometheus metrics (only with [metrics] enabled = true)",
        "tags": ["service"],
        "security": [{"metricsToken": []}, {}],
        "responses": {
            "200": {
                "description": "The Prometheus text exposition format.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            "401": ref("responses", c.ERRORS[401][0]),
            "403": ref("responses", c.ERRORS[403][0]),
            "404": ref("responses", c.ERRORS[404][0]),
        },
    }
