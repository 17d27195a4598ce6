"""Audit trail of actions: who asked which extension for what, when, and how it ended.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bridge.sqltypes import NOW_DEFAULT, UUID_DEFAULT, UtcTimestamp

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Text, server_default=UUID_DEFAULT, nullable=False),
        sa.Column("created_at", UtcTimestamp(), server_default=NOW_DEFAULT, nullable=False),
        sa.Column("account_id", sa.Text, nullable=True),
        sa.Column("account_username", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("core_server_id", sa.Text, nullable=False),
        sa.Column("extension_id", sa.Text, nullable=False),
        sa.Column("extension_number", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("destination", sa.Text, nullable=True),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("request_id", sa.Text, nullable=True),
        sa.Column("ami_action_id", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_created_at", "audit_events", ["created_at"])


def downgrade() -> None:
    op.drop_table("audit_events")
