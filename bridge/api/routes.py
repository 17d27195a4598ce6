"""The URL map of the live REST API, in one place.

Every object in a path is ``{id}`` or, where it has a name, ``getByName/{name}``; the forms mix
freely (``coreServers/getByName/default/extensions/4224-id``). A path is parsed (404 unknown, 405
wrong method) before credentials are checked (401) and before any object is looked up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from aiohttp import web
from aiohttp.typedefs import Handler as HttpHandler

from bridge.api import (
    agent_actions,
    agents,
    core_servers,
    extension_actions,
    extensions,
    queues,
    users,
)
from bridge.api.audit import audited
from bridge.api.credentials import authenticate
from bridge.api.idempotent import idempotent
from bridge.api.resolve import Handler, Kind, Step, resolve
from bridge.errors import MethodNotAllowed, NotFound
from bridge.keys import clients_key, directory_key, live_key
from bridge.logs import route_var

PREFIX = "/communication_manager/rest/live"

# Under an object of kind K, segment S names a collection of kind C: COLLECTIONS[K][S] == C.
COLLECTIONS: dict[Kind | None, dict[str, Kind]] = {
    None: {"coreServers": Kind.CORE_SERVER},
    Kind.CORE_SERVER: {
        "users": Kind.USER,
        "user": Kind.USER,
        "extensions": Kind.EXTENSION,
        "queues": Kind.QUEUE,
    },
    Kind.USER: {"extensions": Kind.EXTENSION},
    Kind.EXTENSION: {"callSegments": Kind.CALL_SEGMENT},
    Kind.QUEUE: {"agents": Kind.AGENT, "agent": Kind.AGENT},
}
# Objects reached from their parent with no id: AGENT/extension.
SINGLE: dict[Kind, dict[str, Kind]] = {Kind.AGENT: {"extension": Kind.EXTENSION}}
# Kinds that also have the getByName/{name} form.
NAMED = {Kind.CORE_SERVER, Kind.USER, Kind.EXTENSION, Kind.QUEUE}
LIST, ONE = "list", "one"


def action(name: str, handler: Handler) -> Handler:
    """A POST action: audited, and answered once per ``Idempotency-Key``."""
    return audited(name, idempotent(handler))


# (kind, what) -> {method: handler}; ``what`` is LIST, ONE or a sub-resource of the object.
ENDPOINTS: dict[tuple[Kind, str], dict[str, Handler]] = {
    (Kind.CORE_SERVER, LIST): {"GET": core_servers.list_core_servers},
    (Kind.CORE_SERVER, ONE): {"GET": core_servers.get_core_server},
    (Kind.USER, LIST): {"GET": users.list_users},
    (Kind.USER, ONE): {"GET": users.get_user},
    (Kind.EXTENSION, LIST): {"GET": extensions.list_extensions},
    (Kind.EXTENSION, ONE): {"GET": extensions.get_extension},
    (Kind.EXTENSION, "agents"): {"GET": agents.list_extension_agents},
    (Kind.CALL_SEGMENT, LIST): {"GET": extensions.list_call_segments},
    (Kind.CALL_SEGMENT, ONE): {"GET": extensions.get_call_segment},
    (Kind.CALL_SEGMENT, "hangup"): {"POST": action("hangup", extension_actions.hangup)},
    (Kind.CALL_SEGMENT, "transfer"): {"POST": action("transfer", extension_actions.transfer)},
    (Kind.EXTENSION, "originate"): {"POST": action("originate", extension_actions.originate)},
    (Kind.EXTENSION, "enableDnd"): {"POST": action("enableDnd", extension_actions.enable_dnd)},
    (Kind.EXTENSION, "disableDnd"): {"POST": action("disableDnd", extension_actions.disable_dnd)},
    (Kind.QUEUE, LIST): {"GET": queues.list_queues},
    (Kind.QUEUE, ONE): {"GET": queues.get_queue},
    (Kind.QUEUE, "calls"): {"GET": queues.list_queue_calls},
    (Kind.AGENT, LIST): {"GET": agents.list_queue_agents},
    (Kind.AGENT, ONE): {"GET": agents.get_agent},
    (Kind.AGENT, "pause"): {"POST": action("pause", agent_actions.pause)},
    (Kind.AGENT, "unpause"): {"POST": action("unpause", agent_actions.unpause)},
}
# the route label of metrics and logs, e.g. "extension.originate"
ROUTE_NAMES = {endpoint: f"{endpoint[0]}.{endpoint[1]}" for endpoint in ENDPOINTS}
ROUTE_NAMES[(Kind.CALL_SEGMENT, LIST)] = "extension.callSegments"  # its name before hangup
SUB_RESOURCES = {kind: {what for k, what in ENDPOINTS if k is kind} - {LIST, ONE} for kind in Kind}


@dataclass(frozen=True, slots=True)
class Route:
    steps: tuple[Step, ...]
    endpoint: tuple[Kind, str]


def parse(segments: list[str]) -> Route | None:
    """The route a path's segments name, or None; no object is looked up here."""
    steps: list[Step] = []
    kind: Kind | None = None
    i, n = 0, len(segments)
    while i < n:
        segment = segments[i]
        child = COLLECTIONS.get(kind, {}).get(segment)
        if child is not None:
            i += 1
            if i == n:
                return Route(tuple(steps), (child, LIST))
            if segments[i] == "getByName" and child in NAMED:
                if i + 1 == n:
                    return None
                steps.append(Step(child, segments[i + 1], by_name=True))
                i += 2
            else:
                steps.append(Step(child, segments[i]))
                i += 1
            kind = child
        elif kind is not None and segment in SINGLE.get(kind, {}):
            kind = SINGLE[kind][segment]
            steps.append(Step(kind))
            i += 1
        elif kind is not None and i == n - 1 and segment in SUB_RESOURCES[kind]:
            return Route(tuple(steps), (kind, segment))
        else:
            return None
    return Route(tuple(steps), (kind, ONE)) if kind is not None else None


def route_of(raw: str) -> Route | None:
    """The route of a raw (still percent-encoded) path. Dashboards ask the same few paths over
    and over, so the routes of short paths are kept (at most 4,096 of at most 512 characters:
    2 MB, whoever sends what)."""
    return _short_route_of(raw) if len(raw) <= 512 else _route_of(raw)


def _route_of(raw: str) -> Route | None:
    segments = path_segments(raw)
    return parse(segments) if segments else None


_short_route_of = functools.lru_cache(maxsize=4096)(_route_of)


def path_segments(raw: str) -> list[str] | None:
    if not raw.startswith(PREFIX + "/"):
        return None
    rest = raw[len(PREFIX) + 1 :]
    if rest.endswith("/"):
        rest = rest[:-1]
    parts = rest.split("/")
    segments = [unquote(s, errors="replace") for s in parts] if "%" in rest else parts
    return None if "" in segments else segments


async def dispatch(request: web.Request) -> web.StreamResponse:
    route = route_of(request.rel_url.raw_path)
    if route is None:
        raise NotFound(f"No resource at {request.rel_url.raw_path[:200]}", error_id="unknown-path")
    route_var.set(ROUTE_NAMES[route.endpoint])
    methods = ENDPOINTS[route.endpoint]
    method = "GET" if request.method == "HEAD" else request.method
    handler = methods.get(method)
    if handler is None:
        raise MethodNotAllowed(request.method, tuple(methods))
    app = request.app
    app[clients_key].check_origin(request)
    account = await authenticate(request)
    target = resolve(route.steps, app[directory_key].current, account, app[live_key])
    return await handler(request, target)


def add_routes(route: Callable[[str, HttpHandler], None]) -> None:
    """The live REST API's paths, through ``route(path, handler)``."""
    route(PREFIX + "/{tail:.*}", dispatch)
