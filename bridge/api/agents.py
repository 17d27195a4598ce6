"""Agents: ``QUEUE/agents``, AGENT and ``EXT/agents``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web

from bridge import access
from bridge.api.render import dumps, json_array, json_body, page, page_bounds
from bridge.api.resolve import Target
from bridge.directory import AgentEntry
from bridge.directory.snapshot import CoreServerIndex
from bridge.keys import live_key
from bridge.live import ServerLive as ServerLiveState
from bridge.live.agents import agent_live, reported_agents


def agent_json(agent: AgentEntry, queue_identifier: str, live: ServerLiveState) -> dict[str, Any]:
    values = agent_live(live, queue_identifier, agent.interface)
    return {
        "id": agent.id,
        "paused": values.pop("paused"),
        "state": values.pop("state"),
        "name": agent.name,
        "dynamic": agent.dynamic,
        "queueId": agent.queue_id,
        "extensionId": agent.extension_id,
        "interface": agent.interface,
        **values,
    }


async def list_queue_agents(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None and target.queue is not None
    queue_id = target.queue.id
    static = target.server.agents_by_queue.get(queue_id.lower(), ())
    reported = [a for a in _reported(target) if a.queue_id == queue_id]
    return _agents_body(request, target, [*static, *reported])


async def list_extension_agents(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None and target.extension is not None
    extension_id = target.extension.id
    static = target.server.agents_by_extension.get(extension_id.lower(), ())
    reported = [a for a in _reported(target) if a.extension_id == extension_id]
    return _agents_body(request, target, [*static, *reported])


def _reported(target: Target) -> list[AgentEntry]:
    assert target.server is not None
    return reported_agents(target.server, target.live.server(target.server.entry.id))


async def get_agent(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None and target.queue is not None and target.agent is not None
    live = request.app[live_key].server(target.server.entry.id)
    return json_body(dumps(agent_json(target.agent, target.queue.identifier, live)))


def _agents_body(
    request: web.Request, target: Target, members: Iterable[AgentEntry]
) -> web.Response:
    assert target.server is not None
    index = target.server
    live = request.app[live_key].server(index.entry.id)
    shown = [
        (agent, queue_identifier)
        for agent in members
        if (queue_identifier := _listed_queue(index, agent)) is not None
        and access.can_view_agent(target.account, agent)
    ]
    items = page(shown, page_bounds(request.query))
    return json_body(json_array([dumps(agent_json(a, q, live)) for a, q in items]))


def _listed_queue(index: CoreServerIndex, agent: AgentEntry) -> str | None:
    """The identifier of the agent's queue when lists show the agent: an enabled queue, and an
    extension bound to a licensed/full user."""
    queue = index.queues_by_id.get(agent.queue_id.lower())
    extension = index.extensions_by_id.get((agent.extension_id or "").lower())
    if queue is None or not queue.enabled or extension is None or not extension.licensed:
        return None
    return queue.identifier
