"""Grants: the ``control`` (hang up, transfer) and ``pause`` (pause, unpause an agent) actions.

The check constraint ``ck_grants_action`` is replaced by one that allows them (SQLite rebuilds
the table in batch mode; PostgreSQL alters it in place, its change trigger untouched).

Down again deletes every grant of ``control`` or ``pause`` before the old check comes back:
0005 cannot hold them, and a grant the old code does not understand must not survive as
something else. The accounts and their other grants are kept.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

OLD = "action IN ('view', 'originate', 'dnd', 'all')"
NEW = "action IN ('view', 'originate', 'dnd', 'control', 'pause', 'all')"


def upgrade() -> None:
    _replace_check(NEW)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM grants WHERE action IN ('control', 'pause')"))
    _replace_check(OLD)


def _replace_check(condition: str) -> None:
    with op.batch_alter_table("grants") as batch:
        batch.drop_constraint("ck_grants_action", type_="check")
        batch.create_check_constraint("ck_grants_action", condition)
