"""The ``components`` of the OpenAPI document: JSON shapes, error answers, headers, parameters.

Each schema says exactly what ``bridge.api``'s serialisers write: every key required, no others
(``additionalProperties: false``), ``null`` only where the code can put one. Enumerations come
from the code's own tables where it has them.
"""

from __future__ import annotations

from typing import Any

from bridge.ami.link import LinkState
from bridge.api.render import NATURAL_MAX
from bridge.events import FILTERABLE
from bridge.live.server import MEMBER_STATES

JSON = "application/json"
Schema = dict[str, Any]


def ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def obj(properties: dict[str, Schema], description: str = "") -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


# What normalize_destination accepts: dialable characters (1 to 64), separators anywhere.
DIALABLE_INPUT = r"^[ .()\-]*(?:[0-9A-Za-z*#+][ .()\-]*){1,64}$"
STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
BOOLEAN: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
DEVICE_STATE: Schema = {
    "type": "string",
    "description": "An Asterisk device state name; UNKNOWN while not known.",
    "examples": ["NOT_INUSE", "INUSE", "BUSY", "RINGING", "ONHOLD", "UNAVAILABLE", "UNKNOWN"],
}
AMI_STATUS: Schema = {"type": "string", "enum": [str(state) for state in LinkState]}

SCHEMAS: dict[str, Schema] = {
    "CoreServer": obj(
        {"id": STRING, "slug": STRING, "name": STRING, "amiStatus": AMI_STATUS},
        "A core server (one Asterisk PBX) and the state of its AMI link.",
    ),
    "User": obj(
        {
            "id": STRING,
            "configurationId": STRING,
            "userName": STRING,
            "displayedName": STRING,
            "permissionId": STRING,
            "licensed": {**BOOLEAN, "description": "Bound to a licensed/full license seat."},
        },
        "A directory user.",
    ),
    "Extension": obj(
        {
            "id": STRING,
            "extensionNumber": STRING,
            "displayName": STRING,
            "configurationId": STRING,
            "permissionId": STRING,
            "dnd": {
                "type": ["boolean", "null"],
                "description": "null while unknown (AMI link down, or not synced yet).",
            },
            "deviceState": DEVICE_STATE,
        },
        "An extension bound to a licensed/full user: the iSymphony keys, then live values.",
    ),
    "Queue": obj(
        {
            "id": STRING,
            "displayName": STRING,
            "identifier": {**STRING, "description": "The Asterisk queue name."},
            "configurationId": STRING,
            "permissionId": STRING,
        },
        "An enabled queue.",
    ),
    "Agent": obj(
        {
            "id": STRING,
            "paused": {"type": ["boolean", "null"], "description": "null until known."},
            "state": {"type": "string", "enum": list(MEMBER_STATES)},
            "name": STRING,
            "dynamic": {**BOOLEAN, "description": "A member added at run time (QueueAdd)."},
            "queueId": STRING,
            "extensionId": {
                **STRING,
                "description": "Always set: agents without a licensed extension are not shown.",
            },
            "interface": STRING,
        },
        "A queue member.",
    ),
    "CallSegment": obj(
        {
            "id": {**STRING, "description": "The channel's Asterisk Uniqueid."},
            "type": {"type": "string", "enum": ["INTERNAL", "EXTERNAL"]},
            "callerId": obj(
                {
                    "id": {
                        **NULLABLE_STRING,
                        "description": "The far end's extension id, when it is one of ours.",
                    },
                    "name": STRING,
                    "number": STRING,
                },
                "The other party, as the phone shows it.",
            ),
            "did": {
                **NULLABLE_STRING,
                "description": "What an outside caller dialled (incoming EXTERNAL calls only).",
            },
            "onHold": BOOLEAN,
            "recording": BOOLEAN,
            "incoming": BOOLEAN,
            "channel": STRING,
            "state": {**STRING, "description": "The Asterisk channel state (Up, Ringing...)."},
            "startTime": TIME,
            "answerTime": {"type": ["string", "null"], "format": "date-time"},
            "connectedLine": obj({"name": STRING, "number": STRING}),
        },
        "One live channel of the extension's device.",
    ),
    "OriginateRequest": {
        "type": "object",
        "properties": {
            "destinationNumber": {
                "type": "string",
                "description": "Spaces, dashes, dots and parentheses are dropped; what is left "
                "must be 1 to 64 of 0-9 A-Z a-z * # + (else 422).",
                "pattern": DIALABLE_INPUT,
                "examples": ["18005555555", "+1 (800) 555-5555"],
            }
        },
        "required": ["destinationNumber"],
    },
    "Error": obj(
        {
            "status": {"type": "integer", "description": "The HTTP status, repeated."},
            "error": {**STRING, "description": "A stable error id, e.g. extension-not-found."},
            "message": {**STRING, "description": "For people; may change."},
            "details": {"type": "object", "description": "Facts about this error, by name."},
        },
        "Every error answer; never a traceback.",
    ),
    "Health": obj(
        {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "database": BOOLEAN,
            "coreServers": {
                "type": "array",
                "items": obj({"id": STRING, "slug": STRING, "amiStatus": AMI_STATUS}),
            },
        }
    ),
}

# status: (component name, description). The description lists the error ids of that status.
ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "BadRequest",
        "Malformed request: `invalid-parameter` (limit/offset not a whole number from 0 to "
        "999999999), `invalid-json`, `invalid-body` (not a JSON object), `bad-request` "
        "(a malformed HTTP request, or not a WebSocket handshake).",
    ),
    401: (
        "Unauthenticated",
        "`unauthenticated`: no credentials, wrong ones, or a disabled account.",
    ),
    403: (
        "Forbidden",
        "A parent in the path, or the target, is restricted: `forbidden` (no grant), "
        "`core-server-disabled`, `queue-disabled`, `extension-not-licensed`, "
        "`agent-extension-not-licensed`, `action-forbidden` (no originate/dnd right).",
    ),
    404: (
        "NotFound",
        "`unknown-path`, or the first missing object of the path: `core-server-not-found`, "
        "`user-not-found`, `extension-not-found`, `queue-not-found`, `agent-not-found`.",
    ),
    405: ("MethodNotAllowed", "`method-not-allowed`, with the allowed methods in `Allow`."),
    413: ("PayloadTooLarge", "`payload-too-large`: the body is over `[http] max_body_bytes`."),
    422: (
        "InvalidValue",
        "`destination-missing`, `destination-invalid`, or `invalid-ami-header` (a value that "
        "would put a line break into an AMI header); nothing was sent to Asterisk.",
    ),
    429: (
        "RateLimited",
        "`login-busy` (too many logins being checked at once), or `rate-limited` (the "
        "account's originate allowance, `[limits] originate_per_minute`). Retry after "
        "`Retry-After` seconds.",
    ),
    502: ("AmiActionFailed", "`ami-action-failed`: Asterisk answered the action with an error."),
    503: (
        "AmiUnavailable",
        "`ami-unavailable` (the link is not up; answered at once) or `ami-disconnected` (it "
        "dropped before Asterisk answered; the action is never sent twice).",
    ),
    504: ("AmiTimeout", "`ami-timeout`: Asterisk did not answer within `[ami] action_timeout`."),
}
# Headers an error answer always carries, by status.
ERROR_HEADERS = {401: "WWW-Authenticate", 405: "Allow", 429: "Retry-After"}

HEADERS: dict[str, Schema] = {
    "X-Request-Id": {
        "description": "The request's X-Request-Id when it is 1 to 64 of A-Z a-z 0-9 . _ -, "
        "else a new one; the log names it.",
        "schema": STRING,
    },
    "WWW-Authenticate": {
        "required": True,
        "schema": {"type": "string", "const": 'Basic realm="bridge"'},
    },
    "Allow": {
        "required": True,
        "description": "The methods the path answers, comma-separated.",
        "schema": STRING,
    },
    "Retry-After": {
        "required": True,
        "description": "Seconds.",
        "schema": {"type": "integer", "minimum": 0},
    },
}


REQUEST_ID: Schema = {"X-Request-Id": ref("headers", "X-Request-Id")}


def ok(schema: Schema, description: str) -> Schema:
    """A JSON answer with ``schema``."""
    return {
        "description": description,
        "headers": REQUEST_ID,
        "content": {JSON: {"schema": schema}},
    }


def _error_response(status: int) -> Schema:
    description = ERRORS[status][1]
    headers = dict(REQUEST_ID)
    if status in ERROR_HEADERS:
        header = ERROR_HEADERS[status]
        headers[header] = ref("headers", header)
    schema = {"allOf": [ref("schemas", "Error")], "properties": {"status": {"const": status}}}
    return {"description": description, "headers": headers, "content": {JSON: {"schema": schema}}}


RESPONSES: dict[str, Schema] = {
    name: _error_response(status) for status, (name, _) in ERRORS.items()
}


def _natural(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"{description} Empty (`?{name}=`) is as if absent.",
        "allowEmptyValue": True,  # deprecated in 3.1, but says exactly this
        "schema": {"type": "integer", "minimum": 0, "maximum": NATURAL_MAX},
    }


PARAMETERS: dict[str, Schema] = {
    "limit": _natural("limit", "At most this many items."),
    "offset": _natural("offset", "Skip this many items first."),
    "X-Request-Id": {
        "name": "X-Request-Id",
        "in": "header",
        "required": False,
        "description": HEADERS["X-Request-Id"]["description"],
        "schema": STRING,
    },
}

# The WebSocket's messages (OpenAPI has no WebSocket type: see x-websocket on its path).
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
        "coreServer.amiStatus: amiStatus; coreServer.synced: nothing (refetch live values); "
        "extension.state: extensionId, extensionNumber, deviceState; extension.dnd: "
        "extensionId, extensionNumber, dnd; callSegment.start/.change/.end: extensionId, "
        "extensionNumber, segment (a CallSegment); agent.state/agent.removed: agentId, "
        "queueId, extensionId, paused, state.",
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
                ],
            },
            "time": TIME,
            "coreServerId": STRING,
            "amiStatus": AMI_STATUS,
            "extensionId": STRING,
            "extensionNumber": STRING,
            "deviceState": DEVICE_STATE,
            "dnd": {"type": ["boolean", "null"]},
            "segment": ref("schemas", "CallSegment"),
            "agentId": STRING,
            "queueId": STRING,
            "paused": {"type": ["boolean", "null"]},
            "state": {"type": "string", "enum": list(MEMBER_STATES)},
        },
        "required": ["type", "time", "coreServerId"],
        "additionalProperties": False,
    },
}
