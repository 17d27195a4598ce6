"""Frozen directory objects, as the API sees them (licensing and bindings already decided)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CoreServerEntry:
    id: str
    slug: str
    name: str
    enabled: bool
    permission_id: str
    ami_host: str
    ami_port: int
    ami_username: str
    ami_secret: str = field(repr=False)
    originate_context: str
    channel_template: str
    ami_tls: bool
    ami_tls_ca: str | None  # None: the system's trusted CAs
    ami_auth: str  # 'md5' or 'plain' (the database's check allows nothing else)


@dataclass(frozen=True, slots=True)
class UserEntry:
    id: str
    core_server_id: str
    username: str
    display_name: str
    permission_id: str
    configuration_id: str
    licensed: bool


@dataclass(frozen=True, slots=True)
class ExtensionEntry:
    id: str
    core_server_id: str
    number: str
    display_name: str
    # The owner, when it is a user of the same core server; None for unbound extensions.
    user_id: str | None
    licensed: bool
    device: str
    permission_id: str
    configuration_id: str


@dataclass(frozen=True, slots=True)
class QueueEntry:
    id: str
    core_server_id: str
    identifier: str
    display_name: str
    enabled: bool
    permission_id: str
    configuration_id: str


@dataclass(frozen=True, slots=True)
class AgentEntry:
    id: str
    queue_id: str
    core_server_id: str
    # The extension, when it is one of the queue's core server; else None.
    extension_id: str | None
    name: str
    interface: str
    dynamic: bool
    penalty: int
    permission_id: str  # the queue's: agents carry their queue's permission id


@dataclass(frozen=True, slots=True)
class AccountEntry:
    id: str
    username: str
    password_hash: str = field(repr=False)
    is_admin: bool
    enabled: bool
    # The linked directory user, when that user exists.
    user_id: str | None
    view_permissions: frozenset[str]
    originate_permissions: frozenset[str]
    dnd_permissions: frozenset[str]
    control_permissions: frozenset[str]  # hang up, transfer an extension's calls
    pause_permissions: frozenset[str]  # pause, unpause an agent

    @property
    def scope_key(self) -> object:
        """Accounts with equal keys see exactly the same objects (cached answers are shared)."""
        if self.is_admin:
            return "admin"
        return (self.view_permissions, self.user_id)
