"""``bridge account list``: the accounts, and in words what each one's grants cover."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import defaultdict
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge import models
from bridge.commands.database import CommandError, migrated_engine
from bridge.commands.grants import EVERYTHING
from bridge.settings import Settings


def register(account_commands: Any, common: argparse.ArgumentParser) -> None:
    """Adds ``account list`` to the ``bridge account`` parser."""
    listing = account_commands.add_parser(
        "list", parents=[common], help="list API accounts and their grants (no password hashes)"
    )
    listing.set_defaults(run=run_list)


def run_list(settings: Settings, _args: argparse.Namespace) -> int:
    try:
        lines = asyncio.run(describe_accounts(settings.database.url))
    except CommandError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines) if lines else "no accounts yet: add one with `bridge account add`")
    return 0


async def describe_accounts(url: str) -> list[str]:
    """One line per account (name, admin, enabled, linked user), then one per grant."""
    accounts = cast(sa.Table, models.Account.__table__)
    users = cast(sa.Table, models.User.__table__)
    grants = cast(sa.Table, models.Grant.__table__)
    async with migrated_engine(url) as engine, engine.connect() as connection:
        rows = await connection.execute(
            sa.select(accounts.c.id, accounts.c.username, accounts.c.is_admin,
                      accounts.c.enabled, users.c.username.label("user"))
            .outerjoin(users, users.c.id == accounts.c.user_id)
            .order_by(accounts.c.username)
        )  # fmt: skip
        held: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for grant in await connection.execute(sa.select(grants)):
            held[grant.account_id].append((grant.action, grant.permission_id))
        names = await _objects_by_permission(connection)
        lines = []
        for row in rows:
            traits = ["admin" if row.is_admin else "", "" if row.enabled else "disabled"]
            if row.user is not None:
                traits.append(f"linked to user {row.user}")
            lines.append(_printable(" ".join([row.username, *filter(None, traits)])))
            described = sorted(
                (action, permission_id != EVERYTHING, _covers(names, permission_id))
                for action, permission_id in held.get(row.id, [])
            )
            lines.extend(_printable(f"  {action} on {covers}") for action, _, covers in described)
    return lines


def _covers(names: dict[str, list[str]], permission_id: str) -> str:
    if permission_id == EVERYTHING:
        return "everything"
    return ", ".join(names.get(permission_id, ["no object (yet)"]))


async def _objects_by_permission(connection: AsyncConnection) -> dict[str, list[str]]:
    """Each permission id and the objects carrying it, in words (``extension default/4224``)."""
    servers = cast(sa.Table, models.CoreServer.__table__)
    named: dict[str, list[str]] = defaultdict(list)
    for server in await connection.execute(sa.select(servers.c.slug, servers.c.permission_id)):
        named[server.permission_id].append(f"core server {server.slug}")
    for kind, model, column in (
        ("user", models.User, "username"),
        ("extension", models.Extension, "extension_number"),
        ("queue", models.Queue, "identifier"),
    ):
        table = cast(sa.Table, model.__table__)
        query = sa.select(servers.c.slug, table.c[column].label("name"), table.c.permission_id)
        query = query.join(servers, servers.c.id == table.c.core_server_id)
        for row in await connection.execute(query.order_by(servers.c.slug, table.c[column])):
            named[row.permission_id].append(f"{kind} {row.slug}/{row.name}")
    return named


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)
