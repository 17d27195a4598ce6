"""Users: ``CS/users`` and USER."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge import access
from bridge.api.render import dumps, json_array, json_body, memoized, page, page_bounds
from bridge.api.resolve import Target
from bridge.directory import UserEntry


def user_json(user: UserEntry) -> dict[str, Any]:
    return {
        "id": user.id,
        "configurationId": user.configuration_id,
        "userName": user.username,
        "displayedName": user.display_name,
        "permissionId": user.permission_id,
        "licensed": user.licensed,
    }


async def list_users(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None
    index, account = target.server, target.account
    bounds = page_bounds(request.query)

    def build() -> bytes:
        visible = [u for u in index.users if access.can_view_user(account, u)]
        return json_array([dumps(user_json(u)) for u in page(visible, bounds)])

    key = ("users", index.entry.id, account.scope_key, bounds)
    return json_body(memoized(target.snapshot, key, build))


async def get_user(request: web.Request, target: Target) -> web.Response:
    user = target.user
    assert user is not None
    return json_body(memoized(target.snapshot, ("user", user.id), lambda: dumps(user_json(user))))
