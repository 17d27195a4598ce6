"""JSON bodies: compact UTF-8, answers cached per snapshot, lists paged by ``limit``/``offset``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from aiohttp import web

from bridge.directory.snapshot import Snapshot
from bridge.errors import BadRequest
from bridge.memo import MISSING

T = TypeVar("T")
NATURAL_MAX = 999_999_999  # nine digits: limit and offset


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def json_body(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/json", charset="utf-8")


def json_array(items: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(items) + b"]"


def memoized(snapshot: Snapshot, key: Any, build: Callable[[], T], version: Any = None) -> T:
    """``build()`` once per snapshot, key and live ``version`` (the memo dies with the
    snapshot; a newer version replaces the older answer)."""
    memo = snapshot.memo
    value = memo.get(key, version)
    if value is MISSING:
        value = build()
        memo.put(key, value, version)
    return value  # type: ignore[no-any-return]


def page_bounds(query: Mapping[str, str]) -> tuple[int, int | None]:
    """``(offset, limit)`` from the query string; absent means everything."""
    return _natural(query, "offset") or 0, _natural(query, "limit")


def page(items: Sequence[T], bounds: tuple[int, int | None]) -> Sequence[T]:
    offset, limit = bounds
    end = None if limit is None else offset + limit
    return items[offset:end]


def _natural(query: Mapping[str, str], name: str) -> int | None:
    text = query.get(name)
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(NATURAL_MAX)):
        raise BadRequest(
            f"{name} must be a whole number from 0 to {NATURAL_MAX}",
            error_id="invalid-parameter",
            parameter=name,
        )
    return int(text)
