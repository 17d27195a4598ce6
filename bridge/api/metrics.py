"""``GET /metrics``: Prometheus text format (``[metrics] enabled``; ``token`` for Bearer auth)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from aiohttp import web

from bridge.ami.link import LinkState
from bridge.errors import Unauthenticated
from bridge.keys import directory_key, hub_key, links_key, live_key, metrics_key, settings_key
from bridge.logs import route_var
from bridge.metrics import Labels, counter, gauge

STATES = tuple(str(state) for state in LinkState)


async def metrics(request: web.Request) -> web.Response:
    route_var.set("metrics")
    token = request.app[settings_key].metrics.token
    if token:
        given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, f"Bearer {token}".encode()):
            raise Unauthenticated(
                "A metrics token is required",
                error_id="unauthenticated",
                challenge='Bearer realm="metrics"',
            )
    body = request.app[metrics_key].render()
    return web.Response(
        text=body,
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def live_collector(app: web.Application) -> Iterable[str]:
    """What is read at scrape time: links, events, stream clients, the directory."""
    directory, live, hub, links = app[directory_key], app[live_key], app[hub_key], app[links_key]
    slugs = {i.entry.id: i.entry.slug for i in directory.current.core_servers}
    servers = [s for s in live if s.core_server_id in slugs]
    states: list[tuple[Labels, float]] = [
        (
            (("core_server", slugs[s.core_server_id]), ("state", state)),
            1.0 if s.ami_status == state else 0.0,
        )
        for s in servers
        for state in STATES
    ]
    yield from gauge("bridge_ami_link_state", "AMI link state (1 = current)", states)
    events = [
        ((("core_server", slugs.get(cs, cs)),), float(n)) for cs, n in links.event_counts().items()
    ]
    yield from counter("bridge_ami_events_total", "AMI events received", events)
    channels = [
        ((("core_server", slugs[s.core_server_id]),), float(len(s.channels))) for s in servers
    ]
    yield from gauge("bridge_live_channels", "channels up, as the live state knows", channels)
    yield from counter(
        "bridge_stream_events_total",
        "events published to the event stream",
        [((), float(hub.published))],
    )
    yield from gauge("bridge_websocket_clients", "event stream clients", [((), float(len(hub)))])
    yield from gauge(
        "bridge_directory_version",
        "directory snapshot version",
        [((), float(directory.current.version))],
    )
    yield from counter(
        "bridge_directory_change_queries_total",
        "queries sent to the database to detect directory changes",
        [((), float(directory.detector_queries))],
    )
    yield from gauge(
        "bridge_database_up",
        "1 while the directory database answers",
        [((), 1.0 if directory.database_ok else 0.0)],
    )
