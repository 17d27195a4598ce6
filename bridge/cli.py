"""The ``bridge`` command line: serve, db, account, grant, core-server, import, check,
hash-password, demo."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bridge import accounts, demo, migrate
from bridge.auth import hash_password
from bridge.commands import accounts as account_commands_module
from bridge.commands import check
from bridge.commands import core_servers as core_server_commands
from bridge.commands import grants as grant_commands
from bridge.commands.database import NotMigrated, require_migrated, sqlite_file
from bridge.commands.imports import add_import_commands
from bridge.db import create_engine, database_problem
from bridge.logs import configure_logging
from bridge.serve import serve
from bridge.settings import ConfigError, Settings, load_settings
from bridge.supervisor import supervise


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        settings = load_settings(args.config or os.environ.get("BRIDGE_CONFIG"))
    except ConfigError as exc:
        print(f"bridge: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log)
    try:
        return int(args.run(settings, args))
    except KeyboardInterrupt:
        return 130
    except (SQLAlchemyError, OSError) as exc:
        print(f"bridge: {database_problem(exc)}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(add_help=False)
    top.add_argument("--config", metavar="FILE", help="TOML config (default: $BRIDGE_CONFIG)")
    # Subcommands take --config too, without overwriting one given before the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="TOML config (default: $BRIDGE_CONFIG)",
    )
    parser = argparse.ArgumentParser(prog="bridge", description=__doc__, parents=[top])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve_command = commands.add_parser("serve", parents=[common], help="run the service")
    serve_command.set_defaults(run=run_serve)

    db = commands.add_parser("db", parents=[common], help="schema migrations")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", parents=[common], help="migrate up (to head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(run=run_db_upgrade)
    downgrade = db_commands.add_parser("downgrade", parents=[common], help="migrate down to REV")
    downgrade.add_argument("revision", help="a revision, or 'base' for an empty database")
    downgrade.set_defaults(run=run_db_downgrade)
    current = db_commands.add_parser("current", parents=[common], help="show the revision")
    current.set_defaults(run=run_db_current)
    seed = db_commands.add_parser("seed", parents=[common], help="run an SQL file (seeding)")
    seed.add_argument("file", type=Path)
    seed.set_defaults(run=run_db_seed)

    account = commands.add_parser("account", parents=[common], help="API accounts")
    account_commands = account.add_subparsers(
        dest="account_command", metavar="ACTION", required=True
    )
    add = account_commands.add_parser("add", parents=[common], help="add an API account")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="sees and does everything")
    add.add_argument("--user", metavar="USERNAME", help="link to this directory user")
    add.add_argument("--core-server", metavar="SLUG", help="the linked user's core server")
    add.set_defaults(run=run_account_add)
    account_commands_module.register(account_commands, common)

    grant_commands.register(commands, common)
    core_server_commands.register(commands, common)

    check_command = commands.add_parser(
        "check", parents=[common], help="log in to each core server's AMI and try every action"
    )
    check_command.add_argument("slug", nargs="?", metavar="SLUG", help="only this core server")
    check_command.set_defaults(run=run_check)

    demo_command = commands.add_parser(
        "demo",
        parents=[common],
        help="the bridge over a SIMULATED PBX and a throw-away database (the iSymphony page's ids)",
    )
    demo_command.add_argument("--port", type=int, default=58080, help="HTTP port (default 58080)")
    demo_command.set_defaults(run=run_demo)

    add_import_commands(commands, common)

    hashp = commands.add_parser(
        "hash-password", parents=[common], help="print an argon2id hash for SQL seeding"
    )
    hashp.set_defaults(run=run_hash_password)
    return parser


def run_serve(settings: Settings, _args: argparse.Namespace) -> int:
    if settings.http.workers > 1:
        return asyncio.run(supervise(settings))
    return asyncio.run(serve(settings))


def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(demo.run_demo(settings, args.port))


def run_check(settings: Settings, args: argparse.Namespace) -> int:
    try:
        problems = asyncio.run(
            check.run_check(settings.database.url, args.slug, settings.ami.action_timeout)
        )
    except check.UnknownCoreServer as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 2
    except NotMigrated as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 1
    return 1 if problems else 0


def run_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_migrate(settings, "upgrade", args.revision))


def run_db_downgrade(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_migrate(settings, "downgrade", args.revision))


def run_db_current(settings: Settings, _args: argparse.Namespace) -> int:
    return asyncio.run(_migrate(settings, "current", None))


async def _migrate(settings: Settings, action: str, revision: str | None) -> int:
    path = sqlite_file(settings.database.url)
    if action != "upgrade" and path is not None and not path.exists():
        print("base (empty)")  # there is no database, and none is made to say so
        return 0
    engine = create_engine(settings.database.url)
    try:
        if action == "upgrade":
            await migrate.upgrade(engine, revision or "head")
        elif action == "downgrade":
            await migrate.downgrade(engine, revision or "base")
        current = await migrate.current_revision(engine)
        head = migrate.head_revision()
        print(f"{current or 'base (empty)'}{' (head)' if current == head else ''}")
        return 0
    finally:
        await engine.dispose()


def run_db_seed(settings: Settings, args: argparse.Namespace) -> int:
    try:
        script = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"bridge: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        asyncio.run(require_migrated(settings.database.url))
        asyncio.run(accounts.run_sql_script(settings.database.url, script))
    except NotMigrated as exc:
        print(f"bridge: {exc}; nothing was run", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"bridge: {args.file}: {database_problem(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # driver errors (sqlite3, asyncpg) carry the SQL error text
        print(f"bridge: {args.file}: {exc}", file=sys.stderr)
        return 1
    print(f"ran {args.file}")
    return 0


def run_account_add(settings: Settings, args: argparse.Namespace) -> int:
    if bool(args.user) != bool(args.core_server):
        print("bridge: --user and --core-server go together", file=sys.stderr)
        return 2
    try:
        accounts.check_account_name(args.name)
    except accounts.AccountError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(require_migrated(settings.database.url))
    except NotMigrated as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 1
    password = read_password()
    try:
        asyncio.run(
            accounts.add_account(
                settings.database.url,
                args.name,
                hash_password(password),
                is_admin=args.admin,
                user=(args.core_server, args.user) if args.user else None,
            )
        )
    except accounts.AccountError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 1
    except IntegrityError:
        print(f"bridge: an account named {args.name!r} exists already", file=sys.stderr)
        return 1
    print(f"account {args.name} added")
    return 0


def run_hash_password(_settings: Settings, _args: argparse.Namespace) -> int:
    print(hash_password(read_password()))
    return 0


def read_password() -> str:
    """From a prompt (asked twice) on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise SystemExit("bridge: the passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise SystemExit("bridge: an empty password is not accepted")
    return password
