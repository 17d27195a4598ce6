"""The audit trail through the API: ``GET /communication_manager/rest/audit`` (admins only),
newest first, narrowed by ``account``, ``extensionId``, ``coreServerId``, ``action`` and paged
by ``limit`` (default 100, at most 1000) and ``offset``. And ``audited``, which records every
action request that reached its handler, with its outcome."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from bridge import models
from bridge.api.credentials import authenticate
from bridge.api.errors import status_of
from bridge.api.render import dumps, json_body, page_bounds
from bridge.api.resolve import Handler, Target, agent_extension
from bridge.audit import AuditEntry
from bridge.errors import BadRequest, BridgeError, Forbidden
from bridge.keys import audit_key, clients_key, engine_key
from bridge.logs import request_id_var, route_var
from bridge.timeutil import iso_utc

PATH = "/communication_manager/rest/audit"
# What a handler learns for the trail: what the action was about (the destination dialled or
# transferred to, the channel hung up, the queue of a pause), the AMI ActionID.
audit_details_key = web.RequestKey("audit_details", dict[str, Any])
FILTERS = {
    "account": models.AuditEvent.account_username,
    "extensionId": models.AuditEvent.extension_id,
    "coreServerId": models.AuditEvent.core_server_id,
    "action": models.AuditEvent.action,
}
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def audited(action: str, handler: Handler) -> Handler:
    """Wrap an action handler: its outcome (204, or the error) goes to the audit trail."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request, target: Target) -> web.StreamResponse:
        details: dict[str, Any] = {}
        request[audit_details_key] = details
        try:
            response = await handler(request, target)
        except BridgeError as error:
            _record(request, target, action, details, error.error_id, status_of(error))
            raise
        # a replayed Idempotency-Key answer did nothing this time: the trail says so
        _record(request, target, action, details, details.get("outcome", "ok"), response.status)
        return response

    return wrapper


def _record(
    request: web.Request,
    target: Target,
    action: str,
    details: dict[str, Any],
    outcome: str,
    status: int,
) -> None:
    assert target.server is not None
    extension = target.extension or agent_extension(target)  # a pause: the agent's extension
    request.app[audit_key].record(
        AuditEntry(
            account_id=target.account.id,
            account_username=target.account.username,
            source=request.app[clients_key].address(request),
            core_server_id=target.server.entry.id,
            extension_id=extension.id,
            extension_number=extension.number,
            action=action,
            destination=details.get("destination"),
            outcome=outcome,
            status=status,
            request_id=request_id_var.get(),
            ami_action_id=details.get("ami_action_id"),
        )
    )


async def read_audit(request: web.Request) -> web.Response:
    route_var.set("audit")
    account = await authenticate(request)
    if not account.is_admin:
        raise Forbidden("The audit trail is for admin accounts", error_id="forbidden")
    offset, limit = page_bounds(request.query)
    limit = DEFAULT_LIMIT if limit is None else limit
    if limit > MAX_LIMIT:
        raise BadRequest(
            f"limit is at most {MAX_LIMIT}", error_id="invalid-parameter", parameter="limit"
        )
    await request.app[audit_key].flush()  # an admin sees every action answered so far
    table = models.AuditEvent.__table__
    query = sa.select(table).order_by(table.c.created_at.desc(), table.c.id.desc())
    for name, column in FILTERS.items():
        if name in request.query:
            query = query.where(column == request.query[name])
    async with request.app[engine_key].connect() as connection:
        rows = (await connection.execute(query.limit(limit).offset(offset))).mappings().all()
    return json_body(dumps([_entry_json(row) for row in rows]))


def _entry_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "time": iso_utc(row["created_at"].timestamp()),
        "account": row["account_username"],
        "accountId": row["account_id"],
        "source": row["source"],
        "coreServerId": row["core_server_id"],
        "extensionId": row["extension_id"],
        "extensionNumber": row["extension_number"],
        "action": row["action"],
        "destination": row["destination"],
        "outcome": row["outcome"],
        "status": row["status"],
        "requestId": row["request_id"],
        "amiActionId": row["ami_action_id"],
        "attempts": row["attempts"],
        "callOutcome": row["call_outcome"],
        "callReason": row["call_reason"],
    }
