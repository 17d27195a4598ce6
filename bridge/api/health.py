"""``/healthz``: each core server's AMI status; 503 when the database is unreachable."""

from __future__ import annotations

from aiohttp import web

from bridge.api.render import dumps, json_body
from bridge.keys import directory_key, live_key
from bridge.logs import route_var


async def healthz(request: web.Request) -> web.Response:
    route_var.set("healthz")
    directory = request.app[directory_key]
    live = request.app[live_key]
    servers = [
        {"id": i.entry.id, "slug": i.entry.slug, "amiStatus": live.server(i.entry.id).ami_status}
        for i in directory.current.core_servers
        if i.entry.enabled
    ]
    ok = directory.database_ok
    body = {"status": "ok" if ok else "degraded", "database": ok, "coreServers": servers}
    return json_body(dumps(body), status=200 if ok else 503)
