"""Agent actions: ``AGENT/pause`` (optional body ``{"reason": "lunch"}``) and
``AGENT/unpause`` (204 each)."""

from __future__ import annotations

from aiohttp import web

from bridge.access import can_pause
from bridge.action_values import pause_reason
from bridge.ami.commands import new_action_id
from bridge.api.audit import audit_details_key
from bridge.api.body import json_object
from bridge.api.resolve import Target, agent_extension
from bridge.errors import Forbidden
from bridge.keys import actions_key


async def pause(request: web.Request, target: Target) -> web.Response:
    _audit_queue(request, target)
    body = await json_object(request)
    return await _set_paused(request, target, body.get("reason"), paused=True)


async def unpause(request: web.Request, target: Target) -> web.Response:
    _audit_queue(request, target)
    await json_object(request)
    return await _set_paused(request, target, None, paused=False)


async def _set_paused(
    request: web.Request, target: Target, reason: object, *, paused: bool
) -> web.Response:
    # the order of decisions (docs/api.md): the body (above), the right (403), the rate (429),
    # the value (422), the link (503), Asterisk (502, 504)
    assert target.server is not None and target.queue is not None and target.agent is not None
    agent = target.agent
    if not can_pause(target.account, agent, agent_extension(target)):
        raise Forbidden(f"This account may not pause agent {agent.id}", error_id="action-forbidden")
    actions = request.app[actions_key]
    await actions.allow(target.account.id)
    said = pause_reason(reason) if paused else ""
    request[audit_details_key]["ami_action_id"] = action_id = new_action_id()
    await actions.pause(
        target.server.entry, target.queue.identifier, agent.interface, paused, said, action_id
    )
    return web.Response(status=204)


def _audit_queue(request: web.Request, target: Target) -> None:
    """The trail names the queue, refused or not (and the agent's extension)."""
    assert target.queue is not None
    request[audit_details_key]["destination"] = target.queue.identifier
