"""The JSON shapes of the OpenAPI document (``components.schemas``).

Each schema says exactly what ``bridge.api``'s serialisers write: every key required, no others
(``additionalProperties: false``), ``null`` only where the code can put one. Enumerations come
from the code's own tables where it has them.
"""

from __future__ import annotations

from typing import Any

from bridge.ami.link import LinkState
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
NULLABLE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
DEVICE_STATE: Schema = {
    "type": "string",
    "description": "An Asterisk device state name; UNKNOWN while not known.",
    "examples": ["NOT_INUSE", "INUSE", "BUSY", "RINGING", "ONHOLD", "UNAVAILABLE", "UNKNOWN"],
}
AMI_STATUS: Schema = {"type": "string", "enum": [str(state) for state in LinkState]}
AMI_STATUS_REASON: Schema = {
    "type": ["string", "null"],
    "description": "What went wrong last with the AMI link, in words; null when connected.",
    "examples": [
        "connection refused",
        "authentication failed",
        "certificate not trusted",
        "host name does not match the certificate",
        "timed out",
        "host not found",
        "connection lost",
    ],
}
CORE_SERVER: dict[str, Schema] = {
    "id": STRING,
    "slug": STRING,
    "name": STRING,
    "amiStatus": AMI_STATUS,
    "amiStatusReason": AMI_STATUS_REASON,
}

SCHEMAS: dict[str, Schema] = {
    "CoreServer": obj(
        CORE_SERVER,
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
            "callsWaiting": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Callers waiting now; null while not known.",
            },
            "longestWaitSince": {
                **NULLABLE_TIME,
                "description": "When the longest waiting caller joined; null when nobody waits.",
            },
        },
        "An enabled queue, with its waiting callers' count.",
    ),
    "WaitingCall": obj(
        {
            "id": {**STRING, "description": "The caller's channel's Asterisk Uniqueid."},
            "position": {"type": "integer", "description": "Its place in the queue (1 first)."},
            "callerId": obj(
                {"name": NULLABLE_STRING, "number": NULLABLE_STRING},
                "The caller's caller id; null parts Asterisk does not know.",
            ),
            "did": {
                **NULLABLE_STRING,
                "description": "The number an outside caller dialled; null for our own phones.",
            },
            "waitingSince": TIME,
        },
        "A caller waiting in a queue.",
    ),
    "Agent": obj(
        {
            "id": STRING,
            "paused": {"type": ["boolean", "null"], "description": "null until known."},
            "state": {"type": "string", "enum": list(MEMBER_STATES)},
            "name": STRING,
            "dynamic": {
                **BOOLEAN,
                "description": "A member added at run time (QueueAdd); false: a static one.",
            },
            "queueId": STRING,
            "extensionId": {
                **STRING,
                "description": "Always set: agents without a licensed extension are not shown.",
            },
            "interface": STRING,
            "pausedReason": {
                **NULLABLE_STRING,
                "description": "The reason given for the pause; null when none or not paused.",
            },
            "pausedSince": {**NULLABLE_TIME, "description": "When paused; null when not."},
            "callsTaken": {
                "type": ["integer", "null"],
                "description": "Calls answered, as Asterisk counts them; null until known.",
            },
            "lastCallEnd": {
                **NULLABLE_TIME,
                "description": "When the last call it took ended; null for none or unknown.",
            },
            "inCall": {"type": ["boolean", "null"], "description": "null until known."},
        },
        "A queue member: a row of the agents table, or a member the PBX reports whose "
        "interface is a known extension's device.",
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
