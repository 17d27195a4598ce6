"""The bridge's own rows: the audit trail and the limits shared by every process on one database
(allowances, ``Idempotency-Key`` answers). The bridge writes and prunes them; they are not the
directory's, and writing them changes no snapshot."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bridge.models.base import Base, created_at_column, uuid_column


class AuditEvent(Base):
    """One action asked of the API (originate, enableDnd, disableDnd, hangup, transfer, pause,
    unpause) and how it ended; a refused action (a 4xx) stands for every such refusal of that
    account, action and outcome within one minute (``attempts`` of them, the first one's
    details)."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_created_at", "created_at"),)

    id: Mapped[str] = uuid_column(primary_key=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    account_id: Mapped[str | None] = mapped_column(sa.Text)
    account_username: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str | None] = mapped_column(sa.Text)
    core_server_id: Mapped[str] = mapped_column(sa.Text)
    extension_id: Mapped[str] = mapped_column(sa.Text)
    extension_number: Mapped[str] = mapped_column(sa.Text)
    action: Mapped[str] = mapped_column(sa.Text)
    destination: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[int] = mapped_column(sa.Integer)
    request_id: Mapped[str | None] = mapped_column(sa.Text)
    ami_action_id: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    # an originate: what became of the call (answered, or failed with a reason), when known
    call_outcome: Mapped[str | None] = mapped_column(sa.Text)
    call_reason: Mapped[str | None] = mapped_column(sa.Text)


class Allowance(Base):
    """A token bucket shared by every process of one database (``bridge/allowances.py``):
    ``tokens`` as of ``updated`` (epoch seconds), refilled at ``rate`` a second up to
    ``burst``. A row whose bucket would be full again is deleted."""

    __tablename__ = "allowances"

    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    tokens: Mapped[float] = mapped_column(sa.Float)
    updated: Mapped[float] = mapped_column(sa.Float)
    rate: Mapped[float] = mapped_column(sa.Float)
    burst: Mapped[float] = mapped_column(sa.Float)


class IdempotencyKey(Base):
    """An ``Idempotency-Key`` an account sent with a POST action (``bridge/idempotency.py``):
    ``fingerprint`` of its method, path and body, when it was ``started`` (epoch seconds),
    and once answered its ``status`` (and, for an error, the JSON ``answer``)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.Index("ix_idempotency_keys_started", "started"),)

    account_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.Text)
    started: Mapped[float] = mapped_column(sa.Float)
    status: Mapped[int | None] = mapped_column(sa.Integer)
    answer: Mapped[str | None] = mapped_column(sa.Text)
