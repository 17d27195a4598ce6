"""Who may see and do what (docs/schema.md), decided on the snapshot alone.

A grant ``(account, permission_id, action)`` covers every object carrying that permission id;
a grant on ``*`` covers every object (a wallboard: one ``view`` grant on ``*``).
An account linked to a directory user also views that user, its core server and its extensions,
and may originate, set DND, hang up and transfer on its own extensions and pause its own agents
(an agent whose extension is the user's). Grants do not inherit along paths.
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
    """A right to act, as grants name it."""

    ORIGINATE = "originate"
    DND = "dnd"
    CONTROL = "control"  # hang up, blind-transfer an extension's call segments
    PAUSE = "pause"  # pause, unpause an agent


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
    """The right to originate from, set DND on, or control the calls of an extension the
    account can already view."""
    if account.is_admin or _owns(account, extension):
        return True
    return _holds(_held(account, action), extension.permission_id)


def can_pause(account: AccountEntry, agent: AgentEntry, extension: ExtensionEntry) -> bool:
    """The right to pause and unpause an agent (of ``extension``) the account can already view."""
    if account.is_admin or _owns(account, extension):
        return True
    return _holds(account.pause_permissions, agent.permission_id)


def _held(account: AccountEntry, action: Action) -> frozenset[str]:
    if action is Action.ORIGINATE:
        return account.originate_permissions
    if action is Action.DND:
        return account.dnd_permissions
    if action is Action.CONTROL:
        return account.control_permissions
    return account.pause_permissions


def _owns(account: AccountEntry, extension: ExtensionEntry) -> bool:
    return account.user_id is not None and extension.user_id == account.user_id


def _holds(permissions: Set[str], permission_id: str) -> bool:
    """A grant on ``permission_id``, or on ``*`` (every object)."""
    return permission_id in permissions or EVERYTHING in permissions
