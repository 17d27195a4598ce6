"""Generic and security events of the simulated PBX, in Asterisk 22's header order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bridge.ami.protocol import Header


def event(name: str, privilege: str, headers: list[Header]) -> list[Header]:
    """A broadcast event: ``Event``, ``Privilege: <class>,all``, then ``headers``."""
    return [("Event", name), ("Privilege", f"{privilege},all"), *headers]


def event_tv(moment: dt.datetime | None = None) -> str:
    """A security event time stamp: ``2026-11-28T02:53:34.452+0000`` (local time)."""
    moment = (moment or dt.datetime.now()).astimezone()
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}{moment:%z}"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What security events say about an AMI session."""

    session_id: str
    local_port: int
    remote_port: int
    started: dt.datetime
    username: str
    transport: str = "TCP"  # or "TLS"


def _addresses(info: SessionInfo) -> list[Header]:
    return [
        ("SessionID", info.session_id),
        ("LocalAddress", f"IPV4/{info.transport}/127.0.0.1/{info.local_port}"),
        ("RemoteAddress", f"IPV4/{info.transport}/127.0.0.1/{info.remote_port}"),
    ]


def successful_auth(info: SessionInfo) -> list[Header]:
    """The ``SuccessfulAuth`` security event of a login."""
    return event(
        "SuccessfulAuth",
        "security",
        [
            ("EventTV", event_tv()),
            ("Severity", "Informational"),
            ("Service", "AMI"),
            ("EventVersion", "1"),
            ("AccountID", info.username),
            *_addresses(info),
            ("UsingPassword", "0"),
            ("SessionTV", event_tv(info.started)),
        ],
    )


def request_bad_format(info: SessionInfo, action: str) -> list[Header]:
    """The ``RequestBadFormat`` security event of an unknown or missing action."""
    return event(
        "RequestBadFormat",
        "security",
        [
            ("EventTV", event_tv()),
            ("Severity", "Error"),
            ("Service", "AMI"),
            ("EventVersion", "1"),
            *_addresses(info),
            ("RequestType", f"Action: {action}"),
            ("SessionTV", event_tv(info.started)),
            ("AccountID", info.username),
        ],
    )
