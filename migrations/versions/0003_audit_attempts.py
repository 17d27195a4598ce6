"""Audit trail: a row may stand for several refused attempts (coalesced per account and minute).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column(
        "audit_events",
        sa.Column("attempts", sa.Integer, server_default="1", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("attempts")
