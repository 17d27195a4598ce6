"""A bounded memo for serialised answers: at most so many entries and so many bytes.

Answers that depend on live state are stored with the live version they were built at; a newer
version replaces the entry instead of adding one, so a busy PBX does not grow the memo. Past
either bound the memo starts afresh (a rare, cheap event next to what it bounds: a client walking
``offset`` through a long list must not make the process hold every page).
"""

from __future__ import annotations

from typing import Any

MAX_ENTRIES = 4096
MAX_BYTES = 32 * 1024 * 1024
_MISSING = object()


class Memo:
    __slots__ = ("_entries", "_max_bytes", "_max_entries", "held_bytes")

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self._entries: dict[Any, tuple[Any, Any]] = {}
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self.held_bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Any, version: Any = None) -> Any:
        """The value stored under ``key`` at ``version``, or :data:`MISSING`."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != version:
            return _MISSING
        return entry[1]

    def put(self, key: Any, value: Any, version: Any = None) -> None:
        size = _size(value)
        old = self._entries.pop(key, None)
        if old is not None:
            self.held_bytes -= _size(old[1])
        if len(self._entries) >= self._max_entries or self.held_bytes + size > self._max_bytes:
            self._entries.clear()
            self.held_bytes = 0
        if size > self._max_bytes:
            return
        self._entries[key] = (version, value)
        self.held_bytes += size


MISSING = _MISSING


def _size(value: Any) -> int:
    return len(value) if isinstance(value, bytes | str) else 0
