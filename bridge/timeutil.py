"""UTC times as the schema stores them on SQLite: ``YYYY-MM-DD HH:MM:SS[.ffffff]``."""

from __future__ import annotations

import datetime as dt
import functools
import time


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def format_utc(value: dt.datetime) -> str:
    """The canonical text form of an aware (or naive UTC) datetime."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ", timespec="microseconds")


def parse_utc(text: str) -> dt.datetime | None:
    """Parse a hand-written UTC time; None when the text is not a time at all."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1]
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def iso_utc(timestamp: float) -> str:
    """``2026-11-28T06:55:01.123Z`` for a Unix time; cheap (events are stamped by the
    thousand a second)."""
    second = int(timestamp)
    return f"{_second_text(second)}.{int((timestamp - second) * 1000):03d}Z"


@functools.lru_cache(maxsize=4096)
def _second_text(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
