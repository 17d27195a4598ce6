"""``bridge core-server add|list``: core servers without SQL by hand.

``add`` refuses a slug that exists, unless ``--update`` is given: then only the options given
change. A running bridge follows the table within a second (it connects, reconnects or logs
off), so nothing needs a restart.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from typing import Any, cast

import sqlalchemy as sa

from bridge import models
from bridge.commands import values
from bridge.commands.database import CommandError, migrated_engine
from bridge.commands.values import ValueProblem
from bridge.settings import Settings

AMI_LOGIN_HELP = (
    "the AMI secret (manager.conf's secret); env:NAME to read it from $NAME where the bridge"
    " runs (nothing secret in the database); '-' to read it from stdin. A secret written on the"
    " command line is visible to other users in `ps` and stays in the shell's history"
)


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Adds ``core-server add`` and ``core-server list`` to the ``bridge`` parser."""
    group = commands.add_parser("core-server", parents=[common], help="core servers (PBXs)")
    actions = group.add_subparsers(dest="core_server_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        parents=[common],
        help="add a core server (or change one, with --update)",
        description="Add a core server: a PBX whose AMI the bridge logs in to (and, with"
        " --update, change the options given of one). --secret takes the secret itself,"
        " env:NAME (read from $NAME where the bridge runs) or '-' (read from stdin). A secret"
        " written on the command line is visible to other users in `ps` and stays in the"
        " shell's history: prefer env:NAME or '-'.",
    )
    add.add_argument("slug", metavar="SLUG", help="short name, as in getByName/SLUG")
    add.add_argument(
        "--ami",
        metavar="HOST[:PORT]",
        help="AMI address (port 5038, 5039 with --tls; with --update, a port not given stays)",
    )
    add.add_argument("--username", metavar="U", help="the AMI user (manager.conf section)")
    add.add_argument("--secret", metavar="SECRET|env:NAME|-", help=AMI_LOGIN_HELP)
    add.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        help="connect with TLS, checking the certificate and host name (--no-tls: plain TCP)",
    )
    add.add_argument("--ca", metavar="FILE", help="PEM file of CAs (default: the system's)")
    add.add_argument("--context", metavar="C", help="originate context (from-internal)")
    add.add_argument("--channel-template", metavar="T", help="device of a number (PJSIP/{number})")
    add.add_argument("--name", metavar="NAME", help="display name (default: the slug)")
    add.add_argument("--auth", choices=("md5", "plain"), help="login kind (default md5)")
    add.add_argument(
        "--update", action="store_true", help="change the given options of an existing one"
    )
    add.set_defaults(run=run_add)
    listing = actions.add_parser("list", parents=[common], help="list core servers (no secrets)")
    listing.set_defaults(run=run_list)


def run_add(settings: Settings, args: argparse.Namespace) -> int:
    try:
        changes = _changes(args)
        print(asyncio.run(save_core_server(settings.database.url, args.slug, changes, args.update)))
    except ValueProblem as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 1
    return 0


def run_list(settings: Settings, _args: argparse.Namespace) -> int:
    try:
        rows = asyncio.run(list_core_servers(settings.database.url))
    except CommandError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 1
    if not rows:
        print("no core servers yet: add one with `bridge core-server add`")
        return 0
    table = [("SLUG", "ID", "AMI", "TLS", "AUTH", "ENABLED", "NAME")]
    for row in rows:
        table.append(
            (
                row.slug,
                row.id,
                _address(row),
                "yes" if row.ami_tls else "no",
                row.ami_auth,
                "yes" if row.enabled else "no",
                row.name,
            )
        )
    widths = [max(len(_printable(line[i])) for line in table) for i in range(len(table[0]) - 1)]
    for line in table:
        cells = [_printable(cell).ljust(width) for cell, width in zip(line, widths, strict=False)]
        print("  ".join([*cells, _printable(line[-1])]).rstrip())
    return 0


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    """The columns to write, from the options given (all required ones when adding)."""
    values.check_slug(args.slug)
    if not args.update:
        missing = [f"--{n}" for n in ("ami", "username", "secret") if getattr(args, n) is None]
        if missing:
            raise ValueProblem(f"core-server add needs {', '.join(missing)}")
    if args.ca is not None and not args.tls:
        raise ValueProblem(
            "--ca goes with --tls (it names the CAs the PBX's certificate is checked against)"
        )
    changes: dict[str, Any] = {}
    if args.ami is not None:
        changes["ami_host"], port = values.parse_ami_address(args.ami)
        if port is not None:
            changes["ami_port"] = port
        elif not args.update:  # updating, a port not given stays
            changes["ami_port"] = values.default_port(bool(args.tls))
    if args.username is not None:
        changes["ami_username"] = values.check_word("--username", args.username)
    if args.secret is not None:
        changes["ami_secret"] = values.check_secret(
            read_secret() if args.secret == "-" else args.secret  # noqa: S105
        )
    if args.tls is not None:
        changes["ami_tls"] = args.tls
    if args.ca is not None:
        changes["ami_tls_ca"] = values.check_ca_file(args.ca)
    elif args.tls is False:
        changes["ami_tls_ca"] = None
    if args.context is not None:
        changes["originate_context"] = values.check_word("--context", args.context)
    if args.channel_template is not None:
        changes["channel_template"] = values.check_channel_template(args.channel_template)
    if args.name is not None:
        changes["name"] = values.check_name(args.name)
    if args.auth is not None:
        changes["ami_auth"] = args.auth
    return changes


def read_secret() -> str:
    """The AMI secret from a prompt on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        return getpass.getpass("AMI secret: ")
    return sys.stdin.readline().rstrip("\r\n")


async def save_core_server(url: str, slug: str, changes: dict[str, Any], update: bool) -> str:
    """Insert (or, with ``update``, change) the core server ``slug``; what was done, in words."""
    table = cast(sa.Table, models.CoreServer.__table__)
    async with migrated_engine(url) as engine, engine.begin() as connection:
        found = await connection.scalar(sa.select(table.c.id).where(table.c.slug == slug))
        if found is None and update:
            raise CommandError(f"there is no core server {slug!r} to update")
        if found is not None and not update:
            raise CommandError(
                f"a core server {slug!r} exists already (id {found}); add --update to change"
                " the options you give"
            )
        if found is None:
            changes.setdefault("name", slug)
            server_id = await connection.scalar(
                sa.insert(table).values(slug=slug, **changes).returning(table.c.id)
            )
            verb = "added"
        else:
            if not changes:
                return f"core server {slug}: nothing to change"
            await connection.execute(sa.update(table).where(table.c.id == found).values(changes))
            server_id, verb = found, f"updated ({', '.join(sorted(changes))})"
        row = (await connection.execute(sa.select(table).where(table.c.id == server_id))).one()
    return (
        f"core server {slug} {verb}: id {row.id}, AMI {_address(row)}"
        f"{' with TLS' if row.ami_tls else ''}, user {row.ami_username}, {row.ami_auth} login"
        f"{_env_note(row.ami_secret)}"
    )


async def list_core_servers(url: str) -> list[Any]:
    table = cast(sa.Table, models.CoreServer.__table__)
    async with migrated_engine(url) as engine, engine.connect() as connection:
        query = sa.select(*(c for c in table.c if c.name != "ami_secret")).order_by(table.c.slug)
        return list(await connection.execute(query))


def _address(row: Any) -> str:
    host = f"[{row.ami_host}]" if ":" in row.ami_host else row.ami_host
    return f"{host}:{row.ami_port}"


def _env_note(secret: str) -> str:
    if not secret.startswith("env:"):
        return ""
    name = secret[4:]
    unset = "" if name in os.environ else " (not set in this shell: set it for the service)"
    return f"; the secret is read from ${name} where the bridge runs{unset}"


def _printable(text: object) -> str:
    """Admin SQL may have put anything in a name: no control characters reach the terminal."""
    return "".join(c if c.isprintable() else "?" for c in str(text))
