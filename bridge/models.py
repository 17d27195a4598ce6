"""The SQL schema admins seed (docs/schema.md), as SQLAlchemy 2 typed models.

Every id, permission id, configuration id and created_at has a database-side default, so an admin
may INSERT without them. ``migrations/versions`` builds the same schema by hand; a test compares
the two.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bridge.sqltypes import NOW_DEFAULT, UUID_DEFAULT, UtcTimestamp

# The actions a grant may name: the CHECK constraint below, the CLI's `bridge grant` and the
# docs follow this one tuple (a new action also needs a migration that widens the constraint).
GRANT_ACTIONS = ("view", "originate", "dnd", "control", "pause", "all")
# 'md5': Challenge, then Login with Key = md5(challenge + secret); 'plain': Login with Secret.
AMI_AUTH_CHECK = "ami_auth IN ('md5', 'plain')"


def uuid_column(*, primary_key: bool = False) -> Mapped[str]:
    return mapped_column(sa.Text, primary_key=primary_key, server_default=UUID_DEFAULT)


def created_at_column() -> Mapped[dt.datetime]:
    return mapped_column(UtcTimestamp, server_default=NOW_DEFAULT)


def flag(name: str, default: bool) -> Mapped[bool]:
    # create_constraint: SQLite stores booleans as integers; only 0 and 1 are booleans.
    return mapped_column(
        sa.Boolean(create_constraint=True, name=f"ck_{name}_bool"),
        server_default=sa.true() if default else sa.false(),
    )


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class CoreServer(Base):
    __tablename__ = "core_servers"
    __table_args__ = (
        sa.CheckConstraint("ami_port BETWEEN 1 AND 65535", name="ck_core_servers_ami_port"),
        sa.CheckConstraint("length(slug) > 0", name="ck_core_servers_slug"),
        sa.CheckConstraint(AMI_AUTH_CHECK, name="ck_core_servers_ami_auth"),
    )

    id: Mapped[str] = uuid_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.Text, unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    ami_host: Mapped[str] = mapped_column(sa.Text, server_default="127.0.0.1")
    ami_port: Mapped[int] = mapped_column(sa.Integer, server_default="5038")
    ami_username: Mapped[str] = mapped_column(sa.Text, server_default="")
    ami_secret: Mapped[str] = mapped_column(sa.Text, server_default="")
    originate_context: Mapped[str] = mapped_column(sa.Text, server_default="from-internal")
    channel_template: Mapped[str] = mapped_column(sa.Text, server_default="PJSIP/{number}")
    enabled: Mapped[bool] = flag("core_servers_enabled", True)
    permission_id: Mapped[str] = uuid_column()
    created_at: Mapped[dt.datetime] = created_at_column()
    ami_tls: Mapped[bool] = flag("core_servers_ami_tls", False)
    # None: the system's trusted CAs; else the path of a PEM file of CA certificates.
    ami_tls_ca: Mapped[str | None] = mapped_column(sa.Text)
    ami_auth: Mapped[str] = mapped_column(sa.Text, server_default="md5")


class License(Base):
    __tablename__ = "licenses"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('full', 'basic')", name="ck_licenses_kind"),
        sa.CheckConstraint("seats >= 0", name="ck_licenses_seats"),
    )

    id: Mapped[str] = uuid_column(primary_key=True)
    core_server_id: Mapped[str] = mapped_column(
        sa.Text, sa.ForeignKey("core_servers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.Text, server_default="full")
    seats: Mapped[int] = mapped_column(sa.Integer)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcTimestamp)
    license_key: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at_column()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.UniqueConstraint("core_server_id", "username"),
        sa.CheckConstraint("length(username) > 0", name="ck_users_username"),
    )

    id: Mapped[str] = uuid_column(primary_key=True)
    core_server_id: Mapped[str] = mapped_column(
        sa.Text, sa.ForeignKey("core_servers.id", ondelete="CASCADE")
    )
    username: Mapped[str] = mapped_column(sa.Text)
    display_name: Mapped[str | None] = mapped_column(sa.Text)
    license_id: Mapped[str | None] = mapped_column(
        sa.Text, sa.ForeignKey("licenses.id", ondelete="SET NULL"), index=True
    )
    permission_id: Mapped[str] = uuid_column()
    configuration_id: Mapped[str] = uuid_column()
    created_at: Mapped[dt.datetime] = created_at_column()


class Extension(Base):
    __tablename__ = "extensions"
    __table_args__ = (
        sa.UniqueConstraint("core_server_id", "extension_number"),
        sa.CheckConstraint("length(extension_number) > 0", name="ck_extensions_number"),
    )

    id: Mapped[str] = uuid_column(primary_key=True)
    core_server_id: Mapped[str] = mapped_column(
        sa.Text, sa.ForeignKey("core_servers.id", ondelete="CASCADE")
    )
    user_id: Mapped[str | None] = mapped_column(
        sa.Text, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    extension_number: Mapped[str] = mapped_column(sa.Text)
    display_name: Mapped[str | None] = mapped_column(sa.Text)
    channel: Mapped[str | None] = mapped_column(sa.Text)
    permission_id: Mapped[str] = uuid_column()
    configuration_id: Mapped[str] = uuid_column()
    created_at: Mapped[dt.datetime] = created_at_column()


class Queue(Base):
    __tablename__ = "queues"
    __table_args__ = (
        sa.UniqueConstraint("core_server_id", "identifier"),
        sa.CheckConstraint("length(identifier) > 0", name="ck_queues_identifier"),
    )

    id: Mapped[str] = uuid_column(primary_key=True)
    core_server_id: Mapped[str] = mapped_column(
        sa.Text, sa.ForeignKey("core_servers.id", ondelete="CASCADE")
    )
    identifier: Mapped[str] = mapped_column(sa.Text)
    display_name: Mapped[str | None] = mapped_column(sa.Text)
    enabled: Mapped[bool] = flag("queues_enabled", True)
    permission_id: Mapped[str] = uuid_column()
    configuration_id: Mapped[str] = uuid_column()
    created_at: Mapped[dt.datetime] = created_at_column()


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (sa.CheckConstraint("penalty >= 0", name="ck_agents_penalty"),)

    id: Mapped[str] = uuid_column(primary_key=True)
    queue_id: Mapped[str] = mapped_column(
        sa.Text, sa.ForeignKey("queues.id", ondelete="CASCADE"), index=True
    )
    extension_id: Mapped[str | None] = mapped_column(
        sa.Text, sa.ForeignKey("extensions.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str | None] = mapped_column(sa.Text)
    interface: Mapped[str | None] = mapped_column(sa.Text)
    dynamic: Mapped[bool] = flag("agents_dynamic", False)
    penalty: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    created_at: Mapped[dt.datetime] = created_at_column()


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (sa.CheckConstraint("length(username) > 0", name="ck_accounts_username"),)

    id: Mapped[str] = uuid_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.Text, unique=True)
    password_hash: Mapped[str] = mapped_column(sa.Text)
    is_admin: Mapped[bool] = flag("accounts_is_admin", False)
    enabled: Mapped[bool] = flag("accounts_enabled", True)
    user_id: Mapped[str | None] = mapped_column(
        sa.Text, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = created_at_column()


class Grant(Base):
    __tablename__ = "grants"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "permission_id", "action"),
        sa.CheckConstraint(
            f"action IN ({', '.join(repr(a) for a in GRANT_ACTIONS)})", name="ck_grants_action"
        ),
    )

    id: Mapped[str] = uuid_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        sa.Text, sa.ForeignKey("accounts.id", ondelete="CASCADE")
    )
    permission_id: Mapped[str] = mapped_column(sa.Text)
    action: Mapped[str] = mapped_column(sa.Text, server_default="view")


DIRECTORY_TABLES = (
    "core_servers",
    "licenses",
    "users",
    "extensions",
    "queues",
    "agents",
    "accounts",
    "grants",
)


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
