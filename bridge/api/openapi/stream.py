"""The WebSocket event stream in the OpenAPI document: OpenAPI has no WebSocket type, so it is
a GET answering 101, with its messages' schemas under the operation's ``x-websocket``."""

from __future__ import annotations

from typing import Any

from bridge.api.openapi.schemas import (
    AMI_STATUS,
    AMI_STATUS_REASON,
    DEVICE_STATE,
    NULLABLE_STRING,
    NULLABLE_TIME,
    STRING,
    TIME,
    Schema,
    obj,
    ref,
)
from bridge.events import FILTERABLE
from bridge.live.server import MEMBER_STATES

EVENT_SCHEMAS: dict[str, Schema] = {
    "StreamReady": obj({"type": {"const": "ready"}}, "Sent once the client is subscribed."),
    "StreamFilter": obj(
        {
            "type": {"const": "filter"},
            "filters": {
                "type": "array",
                "items": obj(
                    {"property": {"type": "string", "enum": list(FILTERABLE)}, "value": STRING}
                ),
            },
        },
        "Sent by the client to narrow the stream (values of one property are alternatives, "
        "different properties must all match, [] is everything); echoed when applied.",
    ),
    "StreamError": obj(
        {
            "type": {"const": "error"},
            "error": {
                "type": "string",
                "enum": ["invalid-json", "unknown-message", "invalid-filter"],
            },
            "message": STRING,
        },
        "The answer to a client message that could not be applied.",
    ),
    "Event": {
        "type": "object",
        "description": "One live event. Besides type, time and coreServerId it carries, by type: "
        "coreServer.amiStatus: amiStatus, amiStatusReason; "
        "coreServer.synced: nothing (refetch live values); "
        "extension.state: extensionId, extensionNumber, deviceState; extension.dnd: "
        "extensionId, extensionNumber, dnd; callSegment.start/.change/.end: extensionId, "
        "extensionNumber, segment (a CallSegment); agent.state/agent.removed: agentId, "
        "queueId, extensionId, paused, state, pausedReason, pausedSince, callsTaken, "
        "lastCallEnd, inCall; queue.callerJoin: queueId, call (a WaitingCall), callsWaiting; "
        "queue.callerLeave: the same and reason (answered, abandoned, timeout or another "
        "QUEUESTATUS in lower case, left when Asterisk said none); originate.result (what "
        "became of a call the bridge originated): actionId, extensionId, extensionNumber, "
        "destination, outcome (answered, failed), reason (failed: unreachable, no answer, "
        "busy, congestion...).",
        "properties": {
            "type": {
                "type": "string",
                "enum": [
                    "coreServer.amiStatus",
                    "coreServer.synced",
                    "extension.state",
                    "extension.dnd",
                    "callSegment.start",
                    "callSegment.change",
                    "callSegment.end",
                    "agent.state",
                    "agent.removed",
                    "queue.callerJoin",
                    "queue.callerLeave",
                    "originate.result",
                ],
            },
            "time": TIME,
            "coreServerId": STRING,
            "amiStatus": AMI_STATUS,
            "amiStatusReason": AMI_STATUS_REASON,
            "extensionId": STRING,
            "extensionNumber": STRING,
            "deviceState": DEVICE_STATE,
            "dnd": {"type": ["boolean", "null"]},
            "segment": ref("schemas", "CallSegment"),
            "agentId": STRING,
            "queueId": STRING,
            "paused": {"type": ["boolean", "null"]},
            "state": {"type": "string", "enum": list(MEMBER_STATES)},
            "pausedReason": NULLABLE_STRING,
            "pausedSince": NULLABLE_TIME,
            "callsTaken": {"type": ["integer", "null"]},
            "lastCallEnd": NULLABLE_TIME,
            "inCall": {"type": ["boolean", "null"]},
            "call": ref("schemas", "WaitingCall"),
            "callsWaiting": {"type": ["integer", "null"]},
            "actionId": STRING,
            "destination": STRING,
            "outcome": {"type": "string", "enum": ["answered", "failed"]},
            "reason": {"type": ["string", "null"]},
        },
        "required": ["type", "time", "coreServerId"],
        "additionalProperties": False,
    },
}


def event_stream() -> dict[str, Any]:
    return {
        "operationId": "getEventStream",
        "summary": "The live event stream (a WebSocket)",
        "tags": ["events"],
        "description": "A WebSocket upgrade, with HTTP Basic credentials on the upgrade request. "
        'The server sends `{"type": "ready"}` once subscribed, then one JSON object per event '
        "the account may view (Event). The client may send StreamFilter messages; the server "
        "echoes each filter applied, or answers StreamError. A client that falls "
        "`[events] queue_size` events behind is closed with code 4008; one whose account is "
        "disabled or whose password changes, with 4001. An account may hold "
        "`[events] max_streams_per_account` streams (429 `too-many-streams` past it). A client "
        "message is at most 32 KiB (else 1009) with at most 500 filters of values up to 200 "
        "characters; a client sending more than a burst of 10 messages at 2 a second (per "
        "stream; per account, a burst of 60 at 5 a second; binary frames count) is closed "
        "with 1008. A request that is not a WebSocket handshake answers 400.",
        "parameters": [ref("parameters", "X-Request-Id")],
        "responses": {
            "101": {"description": "Switching protocols: the WebSocket is open."},
            "400": ref("responses", "BadRequest"),
            "401": ref("responses", "Unauthenticated"),
            "403": ref("responses", "Forbidden"),
            "429": ref("responses", "RateLimited"),
        },
        "x-websocket": {
            "serverMessages": [
                ref("schemas", name)
                for name in ("StreamReady", "Event", "StreamFilter", "StreamError")
            ],
            "clientMessages": [ref("schemas", "StreamFilter")],
            "closeCodes": {
                "1001": "the server is shutting down",
                "1008": "too many client messages",
                "1009": "a client message over 32 KiB",
                "1011": "an internal error",
                "4001": "the account changed",
                "4008": "too slow: events left unread",
            },
        },
    }
