"""``/communication_manager/ws/event``: the live event stream iSymphony clients use.

Basic auth on the upgrade request. The server sends ``{"type": "ready"}`` once the client is
subscribed, then events (bridge.events). The client narrows them with
``{"type": "filter", "filters": [{"property": "extensionId", "value": "..."}]}``: an event
passes when, for every property named, its value is one of the values given (an empty list
passes everything); the server answers with the filter it applied, or an ``error`` object.

A stream is something a client holds open, so it is bounded like one: an account may hold
``[events] max_streams_per_account`` streams (429 past it); a client message is at most
``MAX_MESSAGE`` bytes and ``MAX_FILTERS`` filters, and a client sending more than a few a second
(per stream, and per account: reconnecting buys no fresh allowance; binary frames count too)
is closed (1008); every send and close has a deadline, after which the connection is cut, so a
client that stops reading holds up neither its events nor the service's shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from bridge.api.credentials import authenticate
from bridge.api.ws_frames import write_events
from bridge.errors import RateLimited
from bridge.events import FILTERABLE, Subscriber
from bridge.keys import hub_key, settings_key
from bridge.limits import TokenBuckets
from bridge.logs import route_var

log = logging.getLogger(__name__)

PATH = "/communication_manager/ws/event"
MAX_MESSAGE = 32 * 1024
MAX_FILTERS = 500
MAX_VALUE = 200
MESSAGES_PER_SECOND, MESSAGE_BURST = 2.0, 10  # per stream
# per account, whatever its streams (a client closed for flooding gains nothing by reconnecting)
ACCOUNT_MESSAGES_PER_SECOND, ACCOUNT_MESSAGE_BURST = 5.0, 60
SEND_SECONDS = 10.0  # a reply the client does not take within this cuts the connection
CLOSE_SECONDS = 5.0  # a close the client does not answer within this cuts the connection
CLOSE_POLICY = 1008
CLOSE_INTERNAL = 1011


async def event_stream(request: web.Request) -> web.WebSocketResponse:
    route_var.set("eventStream")
    account = await authenticate(request)
    hub = request.app[hub_key]
    events = request.app[settings_key].events
    if hub.streams_of(account.id) >= events.max_streams_per_account:
        raise RateLimited(
            f"This account holds {events.max_streams_per_account} event streams already",
            retry_after=5,
            error_id="too-many-streams",
        )
    # no compression: events are written as plain frames (ws_frames)
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_MESSAGE, compress=False)
    await ws.prepare(request)
    closers: set[asyncio.Task[None]] = set()

    def drop(code: int, reason: str) -> None:
        closer = asyncio.create_task(close_within(ws, request, code, reason))
        closers.add(closer)
        closer.add_done_callback(closers.discard)

    subscriber = Subscriber(account, drop, events.queue_size)
    hub.add(subscriber)
    writer: asyncio.Task[None] | None = None
    try:
        await send_within(ws, request, {"type": "ready"})
        # events queued meanwhile follow "ready"
        writer = asyncio.create_task(
            write_events(request, subscriber.queue, lambda: subscriber.dropped)
        )
        await _serve_messages(ws, request, subscriber)
    except ConnectionError:
        pass  # the client went away, or was cut off for not reading
    except Exception:
        # after the upgrade an error cannot become an HTTP answer: close the stream instead
        log.exception("event stream of %s failed", account.username)
        await close_within(ws, request, CLOSE_INTERNAL, "internal error")
    finally:
        hub.remove(subscriber)
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await writer
        if closers:
            await asyncio.gather(*closers, return_exceptions=True)
    return ws


async def _serve_messages(
    ws: web.WebSocketResponse, request: web.Request, subscriber: Subscriber
) -> None:
    allowance = TokenBuckets(MESSAGES_PER_SECOND, MESSAGE_BURST)
    account_allowance = request.app[hub_key].client_messages
    async for message in ws:
        if message.type is WSMsgType.ERROR:
            break
        if allowance.take("") > 0 or account_allowance.take(subscriber.account_id) > 0:
            await close_within(ws, request, CLOSE_POLICY, "too many messages")
            break
        if message.type is WSMsgType.TEXT:  # binary frames mean nothing, but they count
            await send_within(ws, request, apply_filter(subscriber, message.data))


async def send_within(ws: web.WebSocketResponse, request: web.Request, value: Any) -> None:
    """Send ``value`` as JSON; a client that does not take it in time is cut off."""
    try:
        async with asyncio.timeout(SEND_SECONDS):
            await ws.send_str(json.dumps(value))
    except TimeoutError:
        _cut(request)
        raise ConnectionResetError("the client did not read its stream") from None


async def close_within(
    ws: web.WebSocketResponse, request: web.Request, code: int, reason: str
) -> None:
    """Close with ``code``; a client that neither reads nor answers in time is cut off."""
    try:
        async with asyncio.timeout(CLOSE_SECONDS):
            await ws.close(code=code, message=reason.encode())
    except TimeoutError:
        _cut(request)
    except ConnectionError:
        pass


def _cut(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


def apply_filter(subscriber: Subscriber, data: str) -> dict[str, Any]:
    try:
        request = json.loads(data)
    except (ValueError, RecursionError):
        return _error("invalid-json", "messages must be JSON objects")
    if not isinstance(request, dict) or request.get("type") != "filter":
        return _error("unknown-message", 'the only message is {"type": "filter", ...}')
    filters = request.get("filters")
    if not isinstance(filters, list) or len(filters) > MAX_FILTERS:
        return _error("invalid-filter", f"filters must be a list of at most {MAX_FILTERS}")
    wanted: dict[str, set[str]] = {}
    for item in filters:
        if not (
            isinstance(item, dict)
            and item.get("property") in FILTERABLE
            and isinstance(item.get("value"), str)
            and len(item["value"]) <= MAX_VALUE
        ):
            return _error(
                "invalid-filter",
                f"each filter is {{property, value}} with property one of {', '.join(FILTERABLE)}"
                f" and a value of at most {MAX_VALUE} characters",
            )
        wanted.setdefault(item["property"], set()).add(item["value"])
    subscriber.filters = {key: frozenset(values) for key, values in wanted.items()}
    return {"type": "filter", "filters": filters}


def _error(error_id: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": error_id, "message": message}
