"""``bridge import ami SLUG`` and ``bridge import freepbx SLUG --database URL``: the directory of
a core server from what its PBX already has (:mod:`bridge.inventory`), with no SQL by hand."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge import models
from bridge.ami.connection import AmiEndpoint
from bridge.ami.links import endpoint_of
from bridge.commands.database import NotMigrated, migrated_engine
from bridge.directory import CoreServerEntry
from bridge.inventory import Inventory, InventoryError, quoted
from bridge.inventory.ami import read_ami_inventory
from bridge.inventory.apply import ImportRefused, apply_inventory
from bridge.inventory.report import ImportReport
from bridge.settings import Settings

DATABASE_TIMEOUT = 10.0  # seconds to connect to, and to read, FreePBX's database


def add_import_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """``bridge import ami`` and ``bridge import freepbx``."""
    imports = commands.add_parser(
        "import",
        parents=[common],
        help="create or update users, extensions, queues and agents from a PBX (never deletes)",
    )
    sources = imports.add_subparsers(dest="import_source", metavar="SOURCE", required=True)
    ami = sources.add_parser(
        "ami",
        parents=[common],
        help="ask the core server's Asterisk over AMI (endpoints, hints, queues)",
    )
    freepbx = sources.add_parser(
        "freepbx",
        parents=[common],
        help="read FreePBX's own tables (read-only: SELECT only)",
    )
    for parser in (ami, freepbx):
        parser.add_argument("slug", metavar="SLUG", help="the core server to import into")
        parser.add_argument(
            "--seats",
            type=_seats,
            metavar="N",
            help="seats of the import's license (default: raised to the users on it)",
        )
    freepbx.add_argument(
        "--database",
        required=True,
        metavar="URL",
        help="mysql://user:pass@host/asterisk, or env:NAME to read it from $NAME",
    )
    ami.set_defaults(run=run_import_ami)
    freepbx.set_defaults(run=run_import_freepbx)


def _seats(text: str) -> int:
    if not text.isdigit() or int(text) > 1_000_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seats (0 to 1000000)")
    return int(text)


def run_import_ami(settings: Settings, args: argparse.Namespace) -> int:
    async def read(engine: AsyncEngine) -> Inventory:
        endpoint = await _ami_endpoint(engine, args.slug)
        return await read_ami_inventory(endpoint, settings.ami.action_timeout)

    return asyncio.run(_import(settings, args.slug, args.seats, read))


def run_import_freepbx(settings: Settings, args: argparse.Namespace) -> int:
    try:
        from bridge.inventory.freepbx import database_url, read_freepbx_inventory
    except ModuleNotFoundError:  # PyMySQL is the optional extra "freepbx"
        print(
            "bridge: import freepbx needs PyMySQL: pip install 'asterisk-ami-bridge[freepbx]'",
            file=sys.stderr,
        )
        return 1
    try:
        url = database_url(_from_env(args.database))
    except InventoryError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 1

    async def read(_engine: AsyncEngine) -> Inventory:
        return await asyncio.to_thread(read_freepbx_inventory, url, DATABASE_TIMEOUT)

    return asyncio.run(_import(settings, args.slug, args.seats, read))


def _from_env(value: str) -> str:
    if not value.startswith("env:"):
        return value
    found = os.environ.get(value[4:])
    if found is None:
        raise InventoryError(f"--database names ${value[4:]}, which is not set")
    return found


async def _import(
    settings: Settings,
    slug: str,
    seats: int | None,
    read: Callable[[AsyncEngine], Awaitable[Inventory]],
) -> int:
    """Read the PBX (once the directory's database is known to be migrated), then write the
    directory."""
    try:
        async with migrated_engine(settings.database.url) as engine:
            inventory = await read(engine)
            report = await apply_inventory(engine, slug, inventory, seats)
    except (InventoryError, ImportRefused, NotMigrated) as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 1
    print_report(slug, report)
    return 0


async def _ami_endpoint(engine: AsyncEngine, slug: str) -> AmiEndpoint:
    """How the bridge's own link reaches and logs in to that core server's Asterisk."""
    table = models.Base.metadata.tables["core_servers"]
    async with engine.connect() as connection:
        row = (await connection.execute(sa.select(table).where(table.c.slug == slug))).first()
    if row is None:
        raise ImportRefused(f"no core server {quoted(slug)}: add it first")
    server = CoreServerEntry(
        id=str(row.id),
        slug=slug,
        name=str(row.name),
        enabled=bool(row.enabled),
        permission_id=str(row.permission_id),
        ami_host=str(row.ami_host),
        ami_port=int(row.ami_port),
        ami_username=str(row.ami_username),
        ami_secret=str(row.ami_secret),
        originate_context=str(row.originate_context),
        channel_template=str(row.channel_template),
        ami_tls=bool(row.ami_tls),
        ami_tls_ca=row.ami_tls_ca or None,
        ami_auth=str(row.ami_auth),
    )
    endpoint = endpoint_of(server)
    if endpoint is None:
        raise ImportRefused(f"core server {slug}: its ami_secret names a variable that is not set")
    return endpoint


def print_report(slug: str, report: ImportReport) -> None:
    print(f"core server {slug}: from {report.source}")
    for line in report.lines:
        print(line)
    for note in report.notes:
        print(f"note: {note}")
    if report.changed:
        print(report.summary())
    else:
        print(f"nothing to change ({report.summary()})")
