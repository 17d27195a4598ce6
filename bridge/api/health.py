"""``/healthz``: the service's state for monitors and load balancers.

Without credentials it tells only the overall state and how many enabled core servers are in
each AMI status (nobody learns the PBXs' ids or names); with an admin's credentials it lists each
core server too. ``status`` is ``ok``, or ``degraded`` while the database does not answer or any
enabled core server's link is not connected. The answer is 200 while the database answers, 503
when it does not; ``?ready=ami`` also answers 503 while any enabled link is down (a monitor's
"is the switchboard live" check).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.ami.link import LinkState
from bridge.api.core_servers import core_server_json
from bridge.api.credentials import authenticate
from bridge.api.render import dumps, json_body
from bridge.errors import BadRequest
from bridge.keys import directory_key, live_key
from bridge.logs import route_var

CONNECTED = str(LinkState.CONNECTED)


async def healthz(request: web.Request) -> web.Response:
    route_var.set("healthz")
    ready = request.query.get("ready")
    if ready not in (None, "ami"):
        raise BadRequest("ready must be 'ami'", error_id="invalid-parameter", parameter="ready")
    admin = False
    if "Authorization" in request.headers:
        admin = (await authenticate(request)).is_admin
    directory, live = request.app[directory_key], request.app[live_key]
    servers = [i.entry for i in directory.current.core_servers if i.entry.enabled]
    lives = {server.id: live.server(server.id) for server in servers}
    statuses = {server_id: server_live.ami_status for server_id, server_live in lives.items()}
    counts = {str(state): 0 for state in LinkState}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    database = directory.database_ok
    links_up = counts[CONNECTED] == len(servers)
    body: dict[str, Any] = {
        "status": "ok" if database and links_up else "degraded",
        "database": database,
        "amiStatus": counts,
    }
    if admin:
        body["coreServers"] = [core_server_json(s, lives[s.id]) for s in servers]
    healthy = database and (links_up or ready is None)
    return json_body(dumps(body), status=200 if healthy else 503)
