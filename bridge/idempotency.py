"""``Idempotency-Key``: a POST action retried with the key it was first sent with answers what
the first answered, without acting again, whichever process of one database it reaches.

Keys live in the ``idempotency_keys`` table per account. A request claims its key (one UPSERT)
before it acts, and records its answer after. Another request with the key meanwhile is refused
(``KeyInFlight``, 409); one with another method, path or body (``KeyReused``, 422); one after
the answer gets that answer. Only an answer after which Asterisk may have acted is kept: a
refusal (4xx) or a 503 before anything was sent frees the key, so a retry is decided afresh.
A claim whose process died (it was never answered) is free again after ``lease`` seconds; a
key is kept for 24 hours.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bridge import models
from bridge.errors import BridgeError, Conflict, InvalidValue, ServiceUnavailable

Execute = Callable[[Any, dict[str, Any]], Awaitable[list[Any]]]
HEADER = "Idempotency-Key"
MAX_KEY = 128
KEEP_SECONDS = 24 * 3600.0
CLAIM_TRIES = 3
_table = cast(sa.Table, models.IdempotencyKey.__table__)


@dataclass(frozen=True, slots=True)
class Answer:
    """A kept answer: its status and, for an error, its JSON body."""

    status: int
    body: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A key this request holds until it records its answer."""

    account_id: str
    key: str
    fingerprint: str
    started: float


def parse_key(value: str | None) -> str | None:
    """The header's key (None: no header), or InvalidValue (422)."""
    if value is None:
        return None
    if not value or len(value) > MAX_KEY or not value.isprintable():
        raise InvalidValue(
            f"{HEADER} must be 1 to {MAX_KEY} printable characters",
            error_id="idempotency-key-invalid",
        )
    return value


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What must be the same for a retry: the method, the path and the body, byte for byte."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode("utf-8", "surrogateescape"), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def keeps(status: int, error_id: str | None) -> bool:
    """Whether an answer is kept: Asterisk may have acted (2xx, 502, 504, a link that dropped
    after the action was sent, an unexpected 500); a refusal did nothing."""
    if status < 400:
        return True
    if status < 500:
        return False
    return status != 503 or error_id == "ami-disconnected"


class IdempotencyKeys:
    """Claims and answers of ``Idempotency-Key``s, through ``execute`` (one committed
    statement each)."""

    def __init__(
        self, execute: Execute, dialect: str, lease: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._execute = execute
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._lease = lease
        self._clock = clock

    async def claim(self, account_id: str, key: str, fingerprint: str) -> Claim | Answer:
        """The claim of a first request, or the answer of the first to replay; KeyInFlight
        while the first is answered, KeyReused for another request under the key."""
        try:
            for _ in range(CLAIM_TRIES):
                found = await self._claim(account_id, key, fingerprint)
                if found is not None:
                    return found
        except BridgeError:
            raise
        except Exception:
            raise _unavailable() from None
        raise Conflict(
            f"The request with this {HEADER} is still being answered",
            error_id="idempotency-key-in-flight",
        )

    async def finish(self, claim: Claim, answer: Answer | None) -> None:
        """Keep ``answer`` under the claim's key, or (None) free the key: nothing was done."""
        mine = (
            (_table.c.account_id == claim.account_id)
            & (_table.c.key == claim.key)
            & (_table.c.started == claim.started)
            & _table.c.status.is_(None)
        )
        if answer is None:
            statement: Any = sa.delete(_table).where(mine)
        else:
            statement = (
                sa.update(_table).where(mine).values(status=answer.status, answer=answer.body)
            )
        await self._execute(statement, {})

    async def prune(self) -> None:
        """Delete the keys older than a day."""
        too_old = _table.c.started < self._clock() - KEEP_SECONDS
        await self._execute(sa.delete(_table).where(too_old), {})

    async def _claim(self, account_id: str, key: str, fingerprint: str) -> Claim | Answer | None:
        now = self._clock()
        row = {"account_id": account_id, "key": key, "fingerprint": fingerprint, "started": now}
        insert = self._insert(_table).values(row)
        # a key that was never answered (its process died) or that is over a day old is free
        free = (_table.c.status.is_(None) & (_table.c.started < now - self._lease)) | (
            _table.c.started < now - KEEP_SECONDS
        )
        statement = insert.on_conflict_do_update(
            index_elements=[_table.c.account_id, _table.c.key],
            set_={"fingerprint": fingerprint, "started": now, "status": None, "answer": None},
            where=free,
        ).returning(_table.c.key)
        if await self._execute(statement, {}):
            return Claim(account_id, key, fingerprint, now)
        query = sa.select(_table.c.fingerprint, _table.c.status, _table.c.answer).where(
            (_table.c.account_id == account_id) & (_table.c.key == key)
        )
        rows = await self._execute(query, {})
        if not rows:
            return None  # freed meanwhile: claim again
        first, status, answer = rows[0]
        if first != fingerprint:
            raise InvalidValue(
                f"This {HEADER} was used with another path or body",
                error_id="idempotency-key-reused",
            )
        if status is None:
            raise Conflict(
                f"The request with this {HEADER} is still being answered",
                error_id="idempotency-key-in-flight",
            )
        return Answer(status, answer)


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The database did not answer: an action with an {HEADER} cannot be done safely now",
        error_id="idempotency-unavailable",
    )
