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
}
