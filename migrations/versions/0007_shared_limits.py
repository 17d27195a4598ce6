"""Limits shared by every process on one database: token buckets (``allowances``) and
``Idempotency-Key`` answers (``idempotency_keys``).

Neither is a directory table: PostgreSQL's change trigger does not watch them, and the rows
are the bridge's own (pruned by it). Times are epoch seconds (UTC), as the buckets count them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "allowances",
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
        sa.Column("rate", sa.Float, nullable=False),
        sa.Column("burst", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_allowances"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("answer", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("account_id", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_started", "idempotency_keys", ["started"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("allowances")
