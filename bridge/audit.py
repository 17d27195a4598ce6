"""The audit trail: every action asked of the API, written to ``audit_events``.

Requests hand entries to :class:`AuditLog` and go on (an originate must not wait for a database
write); a background task writes them in batches, and ``close`` writes what is left, so a clean
shutdown loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from bridge import models
from bridge.timeutil import utcnow

log = logging.getLogger(__name__)

BATCH = 200
MAX_WAITING = 100_000


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


class AuditLog:
    def __init__(self, write: Callable[[Any, list[dict[str, Any]]], Awaitable[None]]) -> None:
        self._write_rows = write
        self._waiting: asyncio.Queue[dict[str, Any]] = asyncio.Queue(MAX_WAITING)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.written = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._write_forever(), name="audit-writer")

    def record(self, entry: AuditEntry) -> None:
        row = {**asdict(entry), "created_at": utcnow()}
        try:
            self._waiting.put_nowait(row)
        except asyncio.QueueFull:
            log.error(
                "audit trail backlog full; dropped %s on %s by %s",
                entry.action,
                entry.extension_number,
                entry.account_username,
            )

    async def flush(self) -> None:
        """Write everything recorded so far (tests, shutdown)."""
        while not self._waiting.empty():
            await self._write(self._take_batch())

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
            waiting = asyncio.ensure_future(self._waiting.get())
            stopping = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait((waiting, stopping), return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not waiting.done():
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting
                return
            rows = [waiting.result(), *self._take_batch(BATCH - 1)]
            try:
                await self._write(rows)
            except Exception:
                log.exception("audit trail write failed; %d entries lost", len(rows))

    def _take_batch(self, most: int = BATCH) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while len(rows) < most and not self._waiting.empty():
            rows.append(self._waiting.get_nowait())
        return rows

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        await self._write_rows(sa.insert(models.AuditEvent), rows)
        self.written += len(rows)
