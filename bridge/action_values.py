"""What the values of an action may be: a destination number, a pause reason (422 otherwise),
and the 404 of a call segment that is gone. They go into AMI headers, and on to the dialplan
and queue_log: nothing else gets that far."""

from __future__ import annotations

import re

from bridge.errors import InvalidValue, NotFound

DIALABLE = re.compile(r"[0-9A-Za-z*#+]{1,64}")
_DROPPED = str.maketrans("", "", " -.()")
MAX_REASON = 80


def normalize_destination(value: object) -> str:
    """The dialable form of ``destinationNumber``, or InvalidValue (422)."""
    if value is None:
        raise InvalidValue("destinationNumber is required", error_id="destination-missing")
    if not isinstance(value, str):
        raise InvalidValue("destinationNumber must be a string", error_id="destination-invalid")
    number = value.translate(_DROPPED)
    if not number:
        raise InvalidValue("destinationNumber is empty", error_id="destination-missing")
    if not DIALABLE.fullmatch(number):
        raise InvalidValue(
            "destinationNumber is not dialable: after dropping spaces, dashes, dots and"
            " parentheses it must be 1 to 64 of 0-9 A-Z a-z * # +",
            error_id="destination-invalid",
        )
    return number


def pause_reason(value: object) -> str:
    """The optional pause ``reason`` (at most 80 printable characters; "" for none), or
    InvalidValue (422): it goes into an AMI header and into queue_log."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidValue("reason must be a string", error_id="reason-invalid")
    if len(value) > MAX_REASON:
        raise InvalidValue(
            f"reason is longer than {MAX_REASON} characters", error_id="reason-too-long"
        )
    if not value.isprintable():
        raise InvalidValue(
            "reason must be printable characters only (no control characters)",
            error_id="reason-invalid",
        )
    return value.strip()


def segment_gone(segment_id: str) -> NotFound:
    shown = segment_id if len(segment_id) <= 80 else segment_id[:77] + "..."
    return NotFound(f"No live call segment {shown}", error_id="call-segment-not-found")
