"""Audit trail: what became of an originated call (Asterisk's OriginateResponse, decoded).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("call_outcome", sa.Text, nullable=True))
    op.add_column("audit_events", sa.Column("call_reason", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("call_reason")
        batch.drop_column("call_outcome")
