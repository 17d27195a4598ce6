"""SQLite: a directory version kept by triggers, as PostgreSQL has had since 0001.

SQLite's ``PRAGMA data_version`` moves on any other connection's commit, the bridge's own rows
included (the audit trail, allowances, idempotency keys): with several workers or ``bridge
serve`` processes on one file, every action of one rebuilt the directory of the others. The
change detector now reads this counter when the files moved, and rebuilds only when it did.
SQLite's triggers are per row: a seed of 10,000 rows bumps the counter 10,000 times, one small
update each, within the seed's own transaction.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

# the directory's tables (0001's, which PostgreSQL's trigger watches)
TABLES = (
    "core_servers",
    "licenses",
    "users",
    "extensions",
    "queues",
    "agents",
    "accounts",
    "grants",
)
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL: 0001's statement triggers and NOTIFY
    op.execute(
        "CREATE TABLE bridge_directory_version ("
        " id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL)"
    )
    op.execute("INSERT INTO bridge_directory_version (id, version) VALUES (1, 0)")
    for table in TABLES:
        for event in EVENTS:
            op.execute(_trigger(table, event))


def _trigger(table: str, event: str) -> str:
    # the names are this module's constants
    return (
        f"CREATE TRIGGER bridge_directory_{event.lower()}_{table} AFTER {event} ON {table}"  # noqa: S608
        " BEGIN UPDATE bridge_directory_version SET version = version + 1 WHERE id = 1; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS bridge_directory_{event.lower()}_{table}")
    op.execute("DROP TABLE IF EXISTS bridge_directory_version")
