"""Core servers: ``P/coreServers`` and CS."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge import access
from bridge.api.render import dumps, json_array, json_body, memoized, page, page_bounds
from bridge.api.resolve import Target
from bridge.directory import CoreServerEntry
from bridge.keys import live_key
from bridge.live.server import ServerLive


def core_server_json(server: CoreServerEntry, live: ServerLive) -> dict[str, Any]:
    return {
        "id": server.id,
        "slug": server.slug,
        "name": server.name,
        "amiStatus": live.ami_status,
        "amiStatusReason": live.ami_status_reason,
    }


async def list_core_servers(request: web.Request, target: Target) -> web.Response:
    live = request.app[live_key]
    snapshot, account = target.snapshot, target.account
    visible = [
        index.entry
        for index in snapshot.core_servers
        if index.entry.enabled and access.can_view_core_server(account, index.entry, snapshot)
    ]
    items = page(visible, page_bounds(request.query))
    return json_body(json_array([dumps(core_server_json(s, live.server(s.id))) for s in items]))


async def get_core_server(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None
    server = target.server.entry
    live = request.app[live_key].server(server.id)
    return json_body(
        memoized(
            target.snapshot,
            ("core-server", server.id, live.ami_status, live.ami_status_reason),
            lambda: dumps(core_server_json(server, live)),
        )
    )
