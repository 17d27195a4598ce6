"""``bridge grant ACCOUNT ACTION TARGET``: grants without SQL by hand.

A grant gives ACTION on every object carrying the target's permission id (objects may share
one); ``--all`` grants the ``*`` permission id, which covers every object. Granting what an
account holds already changes nothing and is not an error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge import models
from bridge.commands.database import CommandError, migrated_engine
from bridge.settings import Settings

EVERYTHING = "*"
# The actions that act on an object the account must also be able to view.
ACTING = tuple(a for a in models.GRANT_ACTIONS if a not in ("view", "all"))


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Adds ``grant`` to the ``bridge`` parser."""
    grant = commands.add_parser(
        "grant",
        parents=[common],
        help="give an account an action on objects",
        description="Give ACCOUNT the right ACTION on every object carrying the target's"
        " permission id. Grants do not inherit: view on a core server shows the core server,"
        " not its extensions. Acting (" + ", ".join(ACTING) + ") needs view too; 'all' is both.",
    )
    grant.add_argument("account", metavar="ACCOUNT")
    grant.add_argument(
        "action",
        metavar="ACTION",
        choices=models.GRANT_ACTIONS,
        help=" | ".join(models.GRANT_ACTIONS),
    )
    target = grant.add_mutually_exclusive_group(required=True)
    target.add_argument("--all", action="store_true", help="every object (permission id '*')")
    target.add_argument("--core-server", metavar="SLUG")
    target.add_argument("--extension", metavar="SLUG/NUMBER")
    target.add_argument("--queue", metavar="SLUG/NAME", help="the queue, and so its agents")
    grant.set_defaults(run=run_grant)


def run_grant(settings: Settings, args: argparse.Namespace) -> int:
    try:
        print(asyncio.run(add_grant(settings.database.url, args.account, args.action, args)))
    except CommandError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 1
    return 0


async def add_grant(url: str, account: str, action: str, target: argparse.Namespace) -> str:
    """Insert the grant unless it is there; what was done, in words."""
    if action not in models.GRANT_ACTIONS:
        raise CommandError(
            f"{action!r} is not an action: use one of {', '.join(models.GRANT_ACTIONS)}"
        )
    accounts, grants = (
        cast(sa.Table, models.Account.__table__),
        cast(sa.Table, models.Grant.__table__),
    )
    async with migrated_engine(url) as engine, engine.begin() as connection:
        found = (
            await connection.execute(
                sa.select(accounts.c.id, accounts.c.is_admin).where(accounts.c.username == account)
            )
        ).first()
        if found is None:
            raise CommandError(
                f"there is no account {account!r}: add it with `bridge account add {account}`"
            )
        permission_id, what = await _target(connection, target)
        held = await _held(connection, found.id, permission_id)
        if action in held:
            return f"{account} holds {action} on {what} already: nothing changed"
        await connection.execute(
            sa.insert(grants).values(
                account_id=found.id, permission_id=permission_id, action=action
            )
        )
        notes = []
        if found.is_admin:
            notes.append(f"{account} is an admin, which may do everything anyway")
        elif action in ACTING and not {"view", "all"} & (
            held | await _held(connection, found.id, EVERYTHING)
        ):
            notes.append(f"{account} cannot view it yet: grant view too")
        shared = 0 if permission_id == EVERYTHING else await _sharing(connection, permission_id)
        if shared > 1:
            notes.append(f"this covers all {shared} objects sharing permission id {permission_id}")
    return "\n".join([f"granted {action} on {what} to {account}", *(f"note: {n}" for n in notes)])


async def _target(connection: AsyncConnection, target: argparse.Namespace) -> tuple[str, str]:
    """The permission id the options name, and the object in words."""
    if target.all:
        return EVERYTHING, "everything (permission id '*')"
    servers = cast(sa.Table, models.CoreServer.__table__)
    if target.core_server is not None:
        slug = target.core_server
        permission_id = await connection.scalar(
            sa.select(servers.c.permission_id).where(servers.c.slug == slug)
        )
        if permission_id is None:
            raise CommandError(f"there is no core server {slug!r} (see `bridge core-server list`)")
        return permission_id, f"core server {slug}"
    if target.extension is not None:
        kind, text, example = "extension", target.extension, "default/4224"
        table, column = cast(sa.Table, models.Extension.__table__), "extension_number"
    else:
        kind, text, example = "queue", target.queue, "default/support"
        table, column = cast(sa.Table, models.Queue.__table__), "identifier"
    slug, slash, name = text.partition("/")
    if not slash or not slug or not name:
        raise CommandError(
            f"--{kind} takes the core server's slug, '/', then the {column}, as in {example}"
        )
    if await connection.scalar(sa.select(servers.c.id).where(servers.c.slug == slug)) is None:
        raise CommandError(f"there is no core server {slug!r} (see `bridge core-server list`)")
    permission_id = await connection.scalar(
        sa.select(table.c.permission_id)
        .join(servers, servers.c.id == table.c.core_server_id)
        .where(servers.c.slug == slug, table.c[column] == name)
    )
    if permission_id is None:
        raise CommandError(f"there is no {kind} {name!r} on core server {slug!r}")
    return permission_id, f"{kind} {slug}/{name}"


async def _held(connection: AsyncConnection, account_id: str, permission_id: str) -> set[str]:
    grants = cast(sa.Table, models.Grant.__table__)
    rows = await connection.scalars(
        sa.select(grants.c.action).where(
            grants.c.account_id == account_id, grants.c.permission_id == permission_id
        )
    )
    return set(rows)


async def _sharing(connection: AsyncConnection, permission_id: str) -> int:
    """How many directory objects carry ``permission_id``."""
    tables = (models.CoreServer, models.User, models.Extension, models.Queue)
    total = 0
    for model in tables:
        table = model.__table__
        total += (
            await connection.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.permission_id == permission_id)
            )
            or 0
        )
    return total
