"""``/communication_manager/ws/event``: the live event stream iSymphony clients use.

Basic auth on the upgrade request. The server sends ``{"type": "ready"}`` once the client is
subscribed, then events (bridge.events). The client narrows them with
``{"type": "filter", "filters": [{"property": "extensionId", "value": "..."}]}``: an event
passes when, for every property named, its value is one of the values given (an empty list
passes everything); the server answers with the filter it applied, or an ``error`` object.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSMsgType, web

from bridge.api.credentials import authenticate
from bridge.api.ws_frames import write_events
from bridge.events import FILTERABLE, Subscriber
from bridge.keys import hub_key, settings_key
from bridge.logs import route_var

PATH = "/communication_manager/ws/event"
MAX_MESSAGE = 64 * 1024


async def event_stream(request: web.Request) -> web.WebSocketResponse:
    route_var.set("eventStream")
    account = await authenticate(request)
    # no compression: events are written as plain frames (ws_frames)
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_MESSAGE, compress=False)
    await ws.prepare(request)
    closers: set[asyncio.Task[bool]] = set()

    def drop(code: int, reason: str) -> None:
        closer = asyncio.create_task(ws.close(code=code, message=reason.encode()))
        closers.add(closer)
        closer.add_done_callback(closers.discard)

    subscriber = Subscriber(account, drop, request.app[settings_key].events.queue_size)
    hub = request.app[hub_key]
    hub.add(subscriber)
    writer: asyncio.Task[None] | None = None
    try:
        await ws.send_str(json.dumps({"type": "ready"}))
        # events queued meanwhile follow "ready"
        writer = asyncio.create_task(
            write_events(request, subscriber.queue, lambda: subscriber.dropped)
        )
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                await ws.send_str(json.dumps(_apply_filter(subscriber, message.data)))
            elif message.type is WSMsgType.ERROR:
                break
    finally:
        hub.remove(subscriber)
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await writer
        if closers:
            await asyncio.gather(*closers, return_exceptions=True)
    return ws


def _apply_filter(subscriber: Subscriber, data: str) -> dict[str, Any]:
    try:
        request = json.loads(data)
    except ValueError:
        return _error("invalid-json", "messages must be JSON objects")
    if not isinstance(request, dict) or request.get("type") != "filter":
        return _error("unknown-message", 'the only message is {"type": "filter", ...}')
    filters = request.get("filters")
    if not isinstance(filters, list):
        return _error("invalid-filter", "filters must be a list")
    wanted: dict[str, set[str]] = {}
    for item in filters:
        if not (
            isinstance(item, dict)
            and item.get("property") in FILTERABLE
            and isinstance(item.get("value"), str)
        ):
            return _error(
                "invalid-filter",
                f"each filter is {{property, value}} with property one of {', '.join(FILTERABLE)}",
            )
        wanted.setdefault(item["property"], set()).add(item["value"])
    subscriber.filters = {key: frozenset(values) for key, values in wanted.items()}
    return {"type": "filter", "filters": filters}


def _error(error_id: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": error_id, "message": message}
