"""Queues: ``CS/queues`` and QUEUE."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge import access
from bridge.api.render import dumps, json_array, json_body, memoized, page, page_bounds
from bridge.api.resolve import Target
from bridge.directory import QueueEntry


def queue_json(queue: QueueEntry) -> dict[str, Any]:
    return {
        "id": queue.id,
        "displayName": queue.display_name,
        "identifier": queue.identifier,
        "configurationId": queue.configuration_id,
        "permissionId": queue.permission_id,
    }


async def list_queues(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None
    index, account = target.server, target.account
    bounds = page_bounds(request.query)

    def build() -> bytes:
        visible = [q for q in index.queues if q.enabled and access.can_view_queue(account, q)]
        return json_array([dumps(queue_json(q)) for q in page(visible, bounds)])

    key = ("queues", index.entry.id, account.scope_key, bounds)
    return json_body(memoized(target.snapshot, key, build))


async def get_queue(request: web.Request, target: Target) -> web.Response:
    queue = target.queue
    assert queue is not None
    return json_body(
        memoized(target.snapshot, ("queue", queue.id), lambda: dumps(queue_json(queue)))
    )
