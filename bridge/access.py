"""Who may see and do what (docs/schema.md), decided on the snapshot alone.

A grant ``(account, permission_id, action)`` covers every object carrying that permission id;
a grant on ``*`` covers every object (a wallboard: one ``view`` grant on ``*``).
An account linked to a directory user also views that user, its core server and its extensions,
and may originate and set DND on its own extensions. Grants do not inherit along paths.
"""

from __future__ import annotations

from collections.abc import Set
from enum import StrEnum

from bridge.directory import (
    AccountEntry,
    AgentEntry,
    CoreServerEntry,
    ExtensionEntry,
    QueueEntry,
    UserEntry,
)
from bridge.directory.snapshot import Snapshot

EVERYTHING = "*"


class Action(StrEnum):
    ORIGINATE = "originate"
    DND = "dnd"


def can_view_core_server(
    account: AccountEntry, server: CoreServerEntry, snapshot: Snapshot
) -> bool:
    if account.is_admin or _holds(account.view_permissions, server.permission_id):
        return True
    if account.user_id is None:
        return False
    index = snapshot.core_servers_by_id.get(server.id.lower())
    return index is not None and account.user_id.lower() in index.users_by_id


def can_view_user(account: AccountEntry, user: UserEntry) -> bool:
    return (
        account.is_admin
        or _holds(account.view_permissions, user.permission_id)
        or user.id == account.user_id
    )


def can_view_extension(account: AccountEntry, extension: ExtensionEntry) -> bool:
    return (
        account.is_admin
        or _holds(account.view_permissions, extension.permission_id)
        or _owns(account, extension)
    )


def can_view_queue(account: AccountEntry, queue: QueueEntry) -> bool:
    return account.is_admin or _holds(account.view_permissions, queue.permission_id)


def can_view_agent(account: AccountEntry, agent: AgentEntry) -> bool:
    return account.is_admin or _holds(account.view_permissions, agent.permission_id)


def can_act(account: AccountEntry, extension: ExtensionEntry, action: Action) -> bool:
    """The right to originate from / set DND on an extension the account can already view."""
    if account.is_admin or _owns(account, extension):
        return True
    held = account.originate_permissions if action is Action.ORIGINATE else account.dnd_permissions
    return _holds(held, extension.permission_id)


def _owns(account: AccountEntry, extension: ExtensionEntry) -> bool:
    return account.user_id is not None and extension.user_id == account.user_id


def _holds(permissions: Set[str], permission_id: str) -> bool:
    """A grant on ``permission_id``, or on ``*`` (every object)."""
    return permission_id in permissions or EVERYTHING in permissions
