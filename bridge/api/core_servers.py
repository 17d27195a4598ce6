"""Core servers: ``P/coreServers`` and CS."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge import access
from bridge.api.render import dumps, json_array, json_body, memoized, page, page_bounds
from bridge.api.resolve import Target
from bridge.directory import CoreServerEntry
from bridge.keys import live_key


def core_server_json(server: CoreServerEntry, ami_status: str) -> dict[str, Any]:
    return {"id": server.id, "slug": server.slug, "name": server.name, "amiStatus": ami_status}


async def list_core_servers(request: web.Request, target: Target) -> web.Response:
    live = request.app[live_key]
    snapshot, account = target.snapshot, target.account
    visible = [
        index.entry
        for index in snapshot.core_servers
        if index.entry.enabled and access.can_view_core_server(account, index.entry, snapshot)
    ]
    items = page(visible, page_bounds(request.query))
    return json_body(
        json_array([dumps(core_server_json(s, live.server(s.id).ami_status)) for s in items])
    )


async def get_core_server(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None
    server = target.server.entry
    status = request.app[live_key].server(server.id).ami_status
    return json_body(
        memoized(
            target.snapshot,
            ("core-server", server.id, status),
            lambda: dumps(core_server_json(server, status)),
        )
    )
