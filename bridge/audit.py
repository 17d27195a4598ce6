"""The audit trail: every action asked of the API, written to ``audit_events``.

Requests hand entries to :class:`AuditLog` and go on (an originate must not wait for a database
write); a background task writes them in batches, and ``close`` writes what is left, so a clean
shutdown loses nothing.

An action the bridge refused (a 4xx: no right, a bad value, the allowance used up) is kept in
bounded form: every refusal of one account, action, outcome and status within a minute is one
row, written when its minute is over, with ``attempts`` counting them and the first one's
details. So an account hammering a refused action adds a handful of rows a minute, not one per
request; an action that was allowed (it reached, or tried to reach, Asterisk) is a row of its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from bridge import models
from bridge.timeutil import utcnow

log = logging.getLogger(__name__)

BATCH = 500
GATHER_SECONDS = 0.1
MAX_WAITING = 100_000
WINDOW_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class AuditEntry:
    account_id: str | None
    account_username: str
    source: str | None
    core_server_id: str
    extension_id: str
    extension_number: str
    action: str
    destination: str | None
    outcome: str
    status: int
    request_id: str | None
    ami_action_id: str | None = None


FIELDS = tuple(f.name for f in fields(AuditEntry))
# a refusal's minute, account id and name, action, outcome, status
_Key = tuple[int, str | None, str, str, str, int]


class AuditLog:
    def __init__(
        self,
        write: Callable[[Any, list[dict[str, Any]]], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write_rows = write
        self._clock = clock
        self._waiting: list[dict[str, Any]] = []
        self._refused: dict[_Key, dict[str, Any]] = {}
        # what became of originated calls whose rows were written already: action id -> values
        self._outcomes: dict[str, dict[str, str | None]] = {}
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._writing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.written = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._write_forever(), name="audit-writer")

    def record(self, entry: AuditEntry) -> None:
        if 400 <= entry.status < 500:
            self._record_refusal(entry)
            return
        if len(self._waiting) >= MAX_WAITING:
            log.error(
                "audit trail backlog full; dropped %s on %s by %s",
                entry.action,
                entry.extension_number,
                entry.account_username,
            )
            return
        self._waiting.append(_row(entry))
        self._wake.set()

    def _record_refusal(self, entry: AuditEntry) -> None:
        key: _Key = (
            int(self._clock() // WINDOW_SECONDS),
            entry.account_id,
            entry.account_username,
            entry.action,
            entry.outcome,
            entry.status,
        )
        row = self._refused.get(key)
        if row is not None:
            row["attempts"] += 1
            return
        self._refused[key] = _row(entry)
        self._wake.set()

    def record_call_outcome(self, action_id: str, outcome: str, reason: str | None) -> None:
        """What became of the call an originate (its AMI ActionID) placed."""
        values = {"call_outcome": outcome, "call_reason": reason}
        for row in self._waiting:
            if row["ami_action_id"] == action_id:
                row.update(values)  # not written yet: it goes in with its row
                return
        self._outcomes[action_id] = values
        self._wake.set()

    async def flush(self) -> None:
        """Write everything recorded so far, including a batch the writer is gathering or
        writing, and refusals whose minute is not over (tests, shutdown, and admins reading
        the trail)."""
        async with self._writing:
            while self._waiting or self._refused:
                await self._write(self._take_batch(everything=True))
            await self._write_outcomes()

    async def close(self) -> None:
        """Stop the writer after the batch it is on (never mid-write: no duplicates), then
        write what is left."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping.set()
            await task
        await self.flush()

    async def _write_forever(self) -> None:
        while not self._stopping.is_set():
            await self._wait_for(self._wake, self._until_due())
            self._wake.clear()
            if self._stopping.is_set():
                return
            if self._waiting:
                # gather a moment: one insert for many actions costs the database (and this
                # process) far less than one each
                await self._wait_for(self._stopping, GATHER_SECONDS)
            async with self._writing:
                rows = self._take_batch()
                try:
                    await self._write(rows)
                    await self._write_outcomes()
                except Exception:
                    log.exception("audit trail write failed; %d entries lost", len(rows))

    def _until_due(self) -> float | None:
        """Seconds until the oldest refusal's minute is over (None: no refusal waits)."""
        if not self._refused:
            return None
        oldest = min(key[0] for key in self._refused)
        return max(0.0, (oldest + 1) * WINDOW_SECONDS - self._clock())

    async def _wait_for(self, event: asyncio.Event, within: float | None = None) -> None:
        """Until ``event`` is set, or stopping, or ``within`` seconds have passed."""
        waits = {asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._stopping.wait())}
        try:
            await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    def _take_batch(self, *, everything: bool = False) -> list[dict[str, Any]]:
        rows, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
        window = int(self._clock() // WINDOW_SECONDS)
        due = [key for key in self._refused if everything or key[0] < window]
        rows += [self._refused.pop(key) for key in due]
        if self._waiting:
            self._wake.set()
        return rows

    async def _write_outcomes(self) -> None:
        """The call outcomes of rows written before they came (after their rows: never lost)."""
        outcomes, self._outcomes = self._outcomes, {}
        event = models.AuditEvent
        for action_id, values in outcomes.items():
            statement = sa.update(event).where(event.ami_action_id == action_id).values(values)
            await self._write_rows(statement, [{}])

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        await self._write_rows(sa.insert(models.AuditEvent), rows)
        self.written += len(rows)


def _row(entry: AuditEntry) -> dict[str, Any]:
    row = {name: getattr(entry, name) for name in FIELDS}
    row["created_at"] = utcnow()
    row["attempts"] = 1
    row["call_outcome"] = row["call_reason"] = None
    return row
