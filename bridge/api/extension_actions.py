"""Extension actions: ``EXT/originate``, ``EXT/enableDnd``, ``EXT/disableDnd``, and
``EXT/callSegments/{id}/hangup`` and ``.../transfer`` (204 each)."""

from __future__ import annotations

from aiohttp import web

from bridge.access import Action, can_act
from bridge.action_values import normalize_destination
from bridge.ami.commands import new_action_id
from bridge.api.audit import audit_details_key
from bridge.api.body import json_object
from bridge.api.resolve import Target
from bridge.directory import CoreServerEntry, ExtensionEntry
from bridge.errors import Forbidden
from bridge.keys import actions_key


async def originate(request: web.Request, target: Target) -> web.Response:
    # the order of decisions (docs/api.md): the body (413, 400), the right (403), the rate (429),
    # the value (422).
    body = await json_object(request)
    server, extension = _allowed(target, Action.ORIGINATE)
    actions = request.app[actions_key]
    await actions.allow(target.account.id, places_call=True)
    destination = normalize_destination(body.get("destinationNumber"))
    details = request[audit_details_key]
    details["destination"] = destination
    details["ami_action_id"] = action_id = new_action_id()  # known even if the link drops
    await actions.originate(server, extension, destination, action_id)
    return web.Response(status=204)


async def enable_dnd(request: web.Request, target: Target) -> web.Response:
    return await _set_dnd(request, target, on=True)


async def disable_dnd(request: web.Request, target: Target) -> web.Response:
    return await _set_dnd(request, target, on=False)


async def _set_dnd(request: web.Request, target: Target, *, on: bool) -> web.Response:
    await json_object(request)
    server, extension = _allowed(target, Action.DND)
    actions = request.app[actions_key]
    await actions.allow(target.account.id)
    await actions.set_dnd(server, extension, on)
    return web.Response(status=204)


async def hangup(request: web.Request, target: Target) -> web.Response:
    if target.segment is not None:  # the trail names the channel, refused or not
        request[audit_details_key]["destination"] = target.segment.name
    await json_object(request)
    server, _ = _allowed(target, Action.CONTROL)
    actions = request.app[actions_key]
    await actions.allow(target.account.id)
    action_id = _audited_action_id(request)
    assert target.segment_id is not None
    await actions.hangup(server, target.segment_id, target.segment, action_id)
    return web.Response(status=204)


async def transfer(request: web.Request, target: Target) -> web.Response:
    body = await json_object(request)
    server, _ = _allowed(target, Action.CONTROL)
    actions = request.app[actions_key]
    await actions.allow(target.account.id, places_call=True)  # the other party may go outside
    destination = normalize_destination(body.get("destinationNumber"))
    request[audit_details_key]["destination"] = destination
    action_id = _audited_action_id(request)
    assert target.segment_id is not None
    await actions.transfer(server, target.segment_id, target.segment, destination, action_id)
    return web.Response(status=204)


def _audited_action_id(request: web.Request) -> str:
    """A new AMI ActionID, in the trail (known even if the link drops)."""
    request[audit_details_key]["ami_action_id"] = action_id = new_action_id()
    return action_id


def _allowed(target: Target, action: Action) -> tuple[CoreServerEntry, ExtensionEntry]:
    assert target.server is not None and target.extension is not None
    if not can_act(target.account, target.extension, action):
        raise Forbidden(
            f"This account may not {action} on extension {target.extension.number}",
            error_id="action-forbidden",
        )
    return target.server.entry, target.extension
