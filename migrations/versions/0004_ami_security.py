"""How a core server's AMI link logs in and whether it uses TLS: ami_tls, ami_tls_ca, ami_auth.

The columns are added in place (``ALTER TABLE ... ADD COLUMN``), never by copying the table:
on SQLite, with foreign keys on, dropping the old core_servers would cascade to every row that
hangs off it. Their checks are column constraints, which SQLite accepts in ADD COLUMN and drops
with the column.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # SQLite stores booleans as integers: only 0 and 1 are booleans (PostgreSQL has a real one).
    tls_check = (
        [sa.CheckConstraint("ami_tls IN (0, 1)", name="ck_core_servers_ami_tls_bool")]
        if op.get_bind().dialect.name == "sqlite"
        else []
    )
    op.add_column(
        "core_servers",
        sa.Column("ami_tls", sa.Boolean(), *tls_check, server_default=sa.false(), nullable=False),
    )
    op.add_column("core_servers", sa.Column("ami_tls_ca", sa.Text, nullable=True))
    op.add_column(
        "core_servers",
        sa.Column(
            "ami_auth",
            sa.Text,
            sa.CheckConstraint("ami_auth IN ('md5', 'plain')", name="ck_core_servers_ami_auth"),
            server_default="md5",
            nullable=False,
        ),
    )


def downgrade() -> None:
    for column in ("ami_auth", "ami_tls_ca", "ami_tls"):
        op.drop_column("core_servers", column)
