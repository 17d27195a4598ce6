"""``P/me``: the account a request speaks for and what it may do, so a client (the operator
panel) offers only the actions the account holds.

Rights are permission ids per action (``*`` covers every object); an object is open to an
action when the account is an admin, holds that action on the object's ``permissionId`` (or
on ``*``), or owns the object: ``ownExtensionIds`` are the extensions of the directory user the
account is linked to (and their agents, by ``extensionId``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.api.credentials import authenticate
from bridge.api.render import dumps, json_body
from bridge.directory import AccountEntry
from bridge.directory.snapshot import Snapshot
from bridge.keys import directory_key
from bridge.logs import route_var

PATH = "/communication_manager/rest/live/me"
ACTIONS = ("view", "originate", "dnd", "control", "pause")


async def me(request: web.Request) -> web.Response:
    route_var.set("me")
    account = await authenticate(request)
    return json_body(dumps(me_json(account, request.app[directory_key].current)))


def me_json(account: AccountEntry, snapshot: Snapshot) -> dict[str, Any]:
    return {
        "id": account.id,
        "username": account.username,
        "admin": account.is_admin,
        "userId": account.user_id,
        "rights": {action: sorted(held(account, action)) for action in ACTIONS},
        "ownExtensionIds": own_extension_ids(account, snapshot),
    }


def held(account: AccountEntry, action: str) -> frozenset[str]:
    """The permission ids the account holds ``action`` on (``all`` grants included)."""
    return {
        "view": account.view_permissions,
        "originate": account.originate_permissions,
        "dnd": account.dnd_permissions,
        "control": account.control_permissions,
        "pause": account.pause_permissions,
    }[action]


def own_extension_ids(account: AccountEntry, snapshot: Snapshot) -> list[str]:
    if account.user_id is None:
        return []
    user = account.user_id.lower()
    return [
        extension.id
        for index in snapshot.core_servers
        for extension in index.extensions_by_user.get(user, ())
    ]
