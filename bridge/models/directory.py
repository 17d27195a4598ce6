"""The directory: the tables admins seed (docs/schema.md), which the bridge reads into its
snapshot and whose every change it notices (triggers bump ``bridge_directory_version``)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bridge.models.base import Base, created_at_column, flag, uuid_column
from bridge.sqltypes import UtcTimestamp

# The actions a grant may name: the CHECK constraint below, the CLI's `bridge grant` and the
# docs follow this one tuple (a new action also needs a migration that widens the constraint).
GRANT_ACTIONS = ("view", "originate", "dnd", "control", "pause", "all")
# 'md5': Challenge, then Login with Key = md5(challenge + secret); 'plain': Login with Secret.
AMI_AUTH_CHECK = "ami_auth IN ('md5', 'plain')"


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
