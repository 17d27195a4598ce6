"""The directory: core servers, licenses, users, extensions, queues, agents, accounts, grants.

On PostgreSQL, statement triggers on every directory table bump a counter and NOTIFY
``bridge_directory``, so the service sees admin SQL at once (SQLite uses PRAGMA data_version).

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bridge.sqltypes import NOW_DEFAULT, UUID_DEFAULT, UtcTimestamp

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

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


def uuid(name: str, **kw: object) -> sa.Column[str]:
    return sa.Column(name, sa.Text, server_default=UUID_DEFAULT, nullable=False, **kw)  # type: ignore[arg-type]


def created_at() -> sa.Column[object]:
    return sa.Column("created_at", UtcTimestamp(), server_default=NOW_DEFAULT, nullable=False)


def flag(name: str, table: str, default: bool) -> sa.Column[bool]:
    return sa.Column(
        name,
        sa.Boolean(create_constraint=True, name=f"ck_{table}_{name}_bool"),
        server_default=sa.true() if default else sa.false(),
        nullable=False,
    )


def fk(column: str, target: str, ondelete: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [target], ondelete=ondelete, name=f"fk_{table}_{column}"
    )


def upgrade() -> None:
    op.create_table(
        "core_servers",
        uuid("id"),
        sa.Column("slug", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("ami_host", sa.Text, server_default="127.0.0.1", nullable=False),
        sa.Column("ami_port", sa.Integer, server_default="5038", nullable=False),
        sa.Column("ami_username", sa.Text, server_default="", nullable=False),
        sa.Column("ami_secret", sa.Text, server_default="", nullable=False),
        sa.Column("originate_context", sa.Text, server_default="from-internal", nullable=False),
        sa.Column("channel_template", sa.Text, server_default="PJSIP/{number}", nullable=False),
        flag("enabled", "core_servers", True),
        uuid("permission_id"),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_core_servers"),
        sa.UniqueConstraint("slug", name="uq_core_servers_slug"),
        sa.CheckConstraint("ami_port BETWEEN 1 AND 65535", name="ck_core_servers_ami_port"),
        sa.CheckConstraint("length(slug) > 0", name="ck_core_servers_slug"),
    )
    op.create_table(
        "licenses",
        uuid("id"),
        sa.Column("core_server_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, server_default="full", nullable=False),
        sa.Column("seats", sa.Integer, nullable=False),
        sa.Column("expires_at", UtcTimestamp(), nullable=True),
        sa.Column("license_key", sa.Text, nullable=True),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_licenses"),
        fk("core_server_id", "core_servers.id", "CASCADE", "licenses"),
        sa.CheckConstraint("kind IN ('full', 'basic')", name="ck_licenses_kind"),
        sa.CheckConstraint("seats >= 0", name="ck_licenses_seats"),
    )
    op.create_index("ix_licenses_core_server_id", "licenses", ["core_server_id"])
    op.create_table(
        "users",
        uuid("id"),
        sa.Column("core_server_id", sa.Text, nullable=False),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=True),
        sa.Column("license_id", sa.Text, nullable=True),
        uuid("permission_id"),
        uuid("configuration_id"),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        fk("core_server_id", "core_servers.id", "CASCADE", "users"),
        fk("license_id", "licenses.id", "SET NULL", "users"),
        sa.UniqueConstraint("core_server_id", "username", name="uq_users_core_server_id_username"),
        sa.CheckConstraint("length(username) > 0", name="ck_users_username"),
    )
    op.create_index("ix_users_license_id", "users", ["license_id"])
    op.create_table(
        "extensions",
        uuid("id"),
        sa.Column("core_server_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=True),
        sa.Column("extension_number", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=True),
        sa.Column("channel", sa.Text, nullable=True),
        uuid("permission_id"),
        uuid("configuration_id"),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_extensions"),
        fk("core_server_id", "core_servers.id", "CASCADE", "extensions"),
        fk("user_id", "users.id", "SET NULL", "extensions"),
        sa.UniqueConstraint(
            "core_server_id",
            "extension_number",
            name="uq_extensions_core_server_id_extension_number",
        ),
        sa.CheckConstraint("length(extension_number) > 0", name="ck_extensions_number"),
    )
    op.create_index("ix_extensions_user_id", "extensions", ["user_id"])
    op.create_table(
        "queues",
        uuid("id"),
        sa.Column("core_server_id", sa.Text, nullable=False),
        sa.Column("identifier", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=True),
        flag("enabled", "queues", True),
        uuid("permission_id"),
        uuid("configuration_id"),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_queues"),
        fk("core_server_id", "core_servers.id", "CASCADE", "queues"),
        sa.UniqueConstraint(
            "core_server_id", "identifier", name="uq_queues_core_server_id_identifier"
        ),
        sa.CheckConstraint("length(identifier) > 0", name="ck_queues_identifier"),
    )
    op.create_table(
        "agents",
        uuid("id"),
        sa.Column("queue_id", sa.Text, nullable=False),
        sa.Column("extension_id", sa.Text, nullable=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("interface", sa.Text, nullable=True),
        flag("dynamic", "agents", False),
        sa.Column("penalty", sa.Integer, server_default="0", nullable=False),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
        fk("queue_id", "queues.id", "CASCADE", "agents"),
        fk("extension_id", "extensions.id", "SET NULL", "agents"),
        sa.CheckConstraint("penalty >= 0", name="ck_agents_penalty"),
    )
    op.create_index("ix_agents_queue_id", "agents", ["queue_id"])
    op.create_index("ix_agents_extension_id", "agents", ["extension_id"])
    op.create_table(
        "accounts",
        uuid("id"),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        flag("is_admin", "accounts", False),
        flag("enabled", "accounts", True),
        sa.Column("user_id", sa.Text, nullable=True),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        fk("user_id", "users.id", "SET NULL", "accounts"),
        sa.UniqueConstraint("username", name="uq_accounts_username"),
        sa.CheckConstraint("length(username) > 0", name="ck_accounts_username"),
    )
    op.create_index("ix_accounts_user_id", "accounts", ["user_id"])
    op.create_table(
        "grants",
        uuid("id"),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("permission_id", sa.Text, nullable=False),
        sa.Column("action", sa.Text, server_default="view", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_grants"),
        fk("account_id", "accounts.id", "CASCADE", "grants"),
        sa.UniqueConstraint(
            "account_id",
            "permission_id",
            "action",
            name="uq_grants_account_id_permission_id_action",
        ),
        sa.CheckConstraint(
            "action IN ('view', 'originate', 'dnd', 'all')", name="ck_grants_action"
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        create_change_triggers()


def create_change_triggers() -> None:
    op.execute(
        "CREATE TABLE bridge_directory_version ("
        " id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL)"
    )
    op.execute("INSERT INTO bridge_directory_version (id, version) VALUES (1, 0)")
    op.execute(
        """
        CREATE FUNCTION bridge_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE bridge_directory_version SET version = version + 1 WHERE id = 1;
            PERFORM pg_notify('bridge_directory', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER bridge_directory_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bridge_directory_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS bridge_directory_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bridge_directory_changed()")
        op.execute("DROP TABLE IF EXISTS bridge_directory_version")
    for table in reversed(TABLES):
        op.drop_table(table)
