"""What became of each Originate: Asterisk answers an async Originate at once and tells its
outcome later, in an ``OriginateResponse`` carrying the Originate's ActionID. The tracker matches
the two, decodes the outcome (``answered``, or ``failed`` with a reason in words) and tells its
listeners: the log, the audit trail, the event stream's ``originate.result``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bridge.ami.protocol import Message
from bridge.directory import CoreServerEntry, ExtensionEntry

log = logging.getLogger("bridge.actions")

ANSWERED = "4"
# OriginateResponse's Reason: the last control frame the channel saw before it gave up
# (Asterisk's AST_CONTROL_*): never reached, hung up or rang out unanswered, busy, congestion.
REASONS = {"0": "unreachable", "1": "no answer", "3": "no answer", "5": "busy", "8": "congestion"}


@dataclass(frozen=True, slots=True)
class PendingOriginate:
    server: CoreServerEntry
    extension: ExtensionEntry
    destination: str
    started: float


@dataclass(frozen=True, slots=True)
class OriginateResult:
    action_id: str
    pending: PendingOriginate
    outcome: str  # answered, failed
    reason: str | None  # why it failed, in words


class OriginateTracker:
    """Matches each ``OriginateResponse`` to its Originate by ActionID."""

    def __init__(self, keep_seconds: float) -> None:
        self._pending: dict[str, PendingOriginate] = {}
        self._keep = keep_seconds
        self.listeners: list[Callable[[OriginateResult], None]] = []

    def expect(self, action_id: str, pending: PendingOriginate) -> None:
        self._expire(pending.started)
        self._pending[action_id] = pending

    def forget(self, action_id: str) -> None:
        self._pending.pop(action_id, None)

    def on_response(self, _core_server_id: str, event: Message) -> None:
        action_id = event.get("ActionID") or ""
        pending = self._pending.pop(action_id, None)
        if pending is None:
            return
        code = (event.get("Reason") or "").strip()
        if event.get("Response") == "Success" and code in (ANSWERED, ""):
            result = OriginateResult(action_id, pending, "answered", None)
        else:
            reason = REASONS.get(code, f"Asterisk reason {code or 'unknown'}")
            result = OriginateResult(action_id, pending, "failed", reason)
        shown = result.outcome if result.reason is None else f"failed: {result.reason}"
        log.info(
            "originate %s -> %s on %s %s after %.1f s",
            pending.extension.number,
            pending.destination,
            pending.server.slug,
            shown,
            time.monotonic() - pending.started,
        )
        for listener in self.listeners:
            try:
                listener(result)
            except Exception:
                log.exception("a listener of originate %s failed", action_id)

    def __len__(self) -> int:
        return len(self._pending)

    def _expire(self, now: float) -> None:
        stale = [k for k, p in self._pending.items() if now - p.started > self._keep]
        for key in stale:
            del self._pending[key]
