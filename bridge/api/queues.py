"""Queues: ``CS/queues``, QUEUE and ``QUEUE/calls`` (the callers waiting, longest first)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge import access
from bridge.api.render import dumps, json_array, json_body, memoized, page, page_bounds
from bridge.api.resolve import Target
from bridge.directory import QueueEntry
from bridge.live import ServerLive
from bridge.live.queue_callers import queue_live, waiting_call_json


def queue_json(queue: QueueEntry, live: ServerLive) -> dict[str, Any]:
    return {
        "id": queue.id,
        "displayName": queue.display_name,
        "identifier": queue.identifier,
        "configurationId": queue.configuration_id,
        "permissionId": queue.permission_id,
        **queue_live(live, queue.identifier),
    }


async def list_queues(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None
    index, account = target.server, target.account
    live = target.live.server(index.entry.id)
    bounds = page_bounds(request.query)

    def build() -> bytes:
        visible = [q for q in index.queues if q.enabled and access.can_view_queue(account, q)]
        return json_array([dumps(queue_json(q, live)) for q in page(visible, bounds)])

    key = ("queues", index.entry.id, account.scope_key, bounds)
    return json_body(memoized(target.snapshot, key, build, live.version))


async def get_queue(request: web.Request, target: Target) -> web.Response:
    queue = target.queue
    assert queue is not None
    live = target.live.server(queue.core_server_id)
    return json_body(
        memoized(
            target.snapshot,
            ("queue", queue.id),
            lambda: dumps(queue_json(queue, live)),
            live.version,
        )
    )


async def list_queue_calls(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None and target.queue is not None
    index = target.server
    live = target.live.server(index.entry.id)
    waiting = live.callers_of(target.queue.identifier) or []
    items = page(waiting, page_bounds(request.query))
    return json_body(json_array([dumps(waiting_call_json(c, index)) for c in items]))
