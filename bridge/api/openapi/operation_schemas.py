"""The JSON shapes of the service's own operations (``components.schemas``): the actions'
request bodies, the error answer, the audit trail's entry and health. The directory's objects
and their live values are in :mod:`bridge.api.openapi.schemas`."""

from __future__ import annotations

from bridge.ami.link import LinkState
from bridge.api.openapi.schemas import BOOLEAN, CORE_SERVER, NULLABLE_STRING, STRING, Schema, obj

# What normalize_destination accepts: dialable characters (1 to 64), separators anywhere.
DIALABLE_INPUT = r"^[ .()\-]*(?:[0-9A-Za-z*#+][ .()\-]*){1,64}$"

SCHEMAS: dict[str, Schema] = {
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
    "PauseRequest": {
        "type": "object",
        "properties": {
            "reason": {
                "type": ["string", "null"],
                "description": "Why the agent pauses (optional): at most 80 printable characters "
                "(no control, format or unassigned characters, no separator but the space; else "
                "422), surrounding spaces dropped; sent to Asterisk as QueuePause's Reason.",
                "maxLength": 80,
                "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
                "examples": ["lunch"],
            }
        },
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
    "AuditEntry": obj(
        {
            "id": STRING,
            "time": {**STRING, "format": "date-time"},
            "account": STRING,
            "accountId": NULLABLE_STRING,
            "source": NULLABLE_STRING,
            "coreServerId": STRING,
            "extensionId": STRING,
            "extensionNumber": STRING,
            "action": {
                "type": "string",
                "enum": [
                    "originate",
                    "enableDnd",
                    "disableDnd",
                    "hangup",
                    "transfer",
                    "pause",
                    "unpause",
                ],
            },
            "destination": {
                **NULLABLE_STRING,
                "description": "The number dialled (originate) or transferred to (transfer), "
                "the channel hung up (hangup), the queue (pause, unpause).",
            },
            "outcome": {**STRING, "description": "ok, or the error id it ended with"},
            "status": {"type": "integer", "description": "The HTTP status it was answered"},
            "requestId": NULLABLE_STRING,
            "amiActionId": NULLABLE_STRING,
            "attempts": {
                "type": "integer",
                "minimum": 1,
                "description": "How many requests this entry stands for: refused actions (4xx) "
                "of one account, action and outcome within a minute are one entry, with the "
                "first one's details.",
            },
            "callOutcome": {
                "type": ["string", "null"],
                "enum": ["answered", "failed", None],
                "description": "An originate: what became of the call, once Asterisk said so.",
            },
            "callReason": {
                **NULLABLE_STRING,
                "description": "Why the call failed: unreachable, no answer, busy, congestion.",
            },
        },
        "One action asked of the API and how it ended.",
    ),
    "Health": {
        **obj(
            {
                "status": {
                    "type": "string",
                    "enum": ["ok", "degraded"],
                    "description": "degraded while the database does not answer or an enabled "
                    "core server's AMI link is not connected",
                },
                "database": BOOLEAN,
                "amiStatus": obj(
                    {str(state): {"type": "integer", "minimum": 0} for state in LinkState},
                    "How many enabled core servers are in each AMI status.",
                ),
                "coreServers": {
                    "type": "array",
                    "description": "Only with an admin's credentials.",
                    "items": obj(CORE_SERVER),
                },
            }
        ),
        "required": ["status", "database", "amiStatus"],
    },
}
