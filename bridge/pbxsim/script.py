"""What tests script and observe on the simulated PBX: action records, stalls, failures, waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.ami.protocol import Message


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One action the simulated PBX read: on which session, its headers and its exact bytes.

    ``session`` numbers connections 1, 2, ... in the order they were accepted; ``name`` is the
    ``Action`` header as sent (``""`` when it had none).
    """

    session: int
    name: str
    message: Message
    raw: bytes


class ActionLog:
    """Every action read, in order, with a count per name (any case)."""

    def __init__(self, changed: Callable[[], None]) -> None:
        self.records: list[ActionRecord] = []
        self._counts: dict[str, int] = {}
        self._changed = changed

    def add(self, record: ActionRecord) -> None:
        """Keep one record (and wake waiters)."""
        self.records.append(record)
        key = record.name.lower()
        self._counts[key] = self._counts.get(key, 0) + 1
        self._changed()

    def of(self, name: str | None = None) -> list[ActionRecord]:
        """The records of one action name (any case), or all of them."""
        if name is None:
            return list(self.records)
        key = name.lower()
        return [r for r in self.records if r.name.lower() == key]

    def count(self, name: str) -> int:
        """How many actions of this name (any case) were read."""
        return self._counts.get(name.lower(), 0)


class Changes:
    """Lets coroutines wait for a condition on the PBX, woken at every change (no polling)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Something changed: wake every waiter to test its condition again."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Return once ``predicate()`` is true (tested now and after each change)."""
        while not predicate():
            await self._event.wait()


@dataclass(slots=True)
class _Stall:
    release: asyncio.Event = field(default_factory=asyncio.Event)
    block_session: bool = False


@dataclass(slots=True)
class _Failure:
    message: str
    remaining: int | None


class ActionRules:
    """Per action name (any case): hold it unanswered, or answer it with an error."""

    def __init__(self) -> None:
        self._stalls: dict[str, _Stall] = {}
        self._failures: dict[str, _Failure] = {}

    def stall(self, action: str, *, block_session: bool = False) -> None:
        """Hold every ``action`` from now on unanswered until :meth:`unstall`.

        With ``block_session`` the session also answers nothing after it (Asterisk handles one
        action at a time per session); otherwise later actions are answered meanwhile.
        """
        self._stalls[action.lower()] = _Stall(block_session=block_session)

    def unstall(self, action: str) -> None:
        """Answer the held ``action`` requests now (in order) and stop holding new ones."""
        stall = self._stalls.pop(action.lower(), None)
        if stall is not None:
            stall.release.set()

    def fail(self, action: str, message: str, times: int | None) -> None:
        """Answer ``action`` with ``Response: Error`` / ``message`` (``times`` times, or always)."""
        self._failures[action.lower()] = _Failure(message, times)

    def unfail(self, action: str) -> None:
        """Answer ``action`` normally again."""
        self._failures.pop(action.lower(), None)

    def stall_of(self, action: str) -> tuple[asyncio.Event, bool] | None:
        """``(release, block_session)`` when ``action`` is to be held now."""
        stall = self._stalls.get(action.lower())
        return None if stall is None else (stall.release, stall.block_session)

    def failure_of(self, action: str) -> str | None:
        """The error message to answer ``action`` with now, if any (counts one use)."""
        failure = self._failures.get(action.lower())
        if failure is None:
            return None
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                del self._failures[action.lower()]
        return failure.message
