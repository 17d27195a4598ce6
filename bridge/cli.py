"""The ``bridge`` command line: serve, db, account, hash-password, demo."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bridge import accounts, migrate, systemd
from bridge.app import SchemaNotReady, create_app
from bridge.auth import hash_password
from bridge.connections import quiet_accept_errors, raise_file_limit
from bridge.db import create_engine
from bridge.listener import tls_context
from bridge.logs import configure_logging, reopen_logs
from bridge.server import BridgeRunner
from bridge.settings import ConfigError, Settings, load_settings

log = logging.getLogger("bridge")


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


def database_problem(exc: BaseException) -> str:
    """One line on what went wrong with the database: never the SQL, its parameters (a
    password hash, say) or a traceback."""
    cause: BaseException = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    lowered = text.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return "the database is not migrated: run `bridge db upgrade` first"
    if isinstance(exc, OSError) or isinstance(cause, OSError) or "connect" in lowered:
        return f"cannot reach the database: {type(cause).__name__}: {text[:200]}"
    return f"database error: {type(cause).__name__}: {text[:200]}"


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

    serve = commands.add_parser("serve", parents=[common], help="run the service")
    serve.set_defaults(run=run_serve)

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

    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="the bridge over a SIMULATED PBX and a throw-away database (the iSymphony page's ids)",
    )
    demo.add_argument("--port", type=int, default=58080, help="HTTP port (default 58080)")
    demo.set_defaults(run=run_demo)

    hashp = commands.add_parser(
        "hash-password", parents=[common], help="print an argon2id hash for SQL seeding"
    )
    hashp.set_defaults(run=run_hash_password)
    return parser


def run_serve(settings: Settings, _args: argparse.Namespace) -> int:
    return asyncio.run(serve(settings))


async def serve(settings: Settings) -> int:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # only the revision check runs here
    try:
        tls = tls_context(settings.http)
    except ConfigError as exc:
        print(f"bridge: configuration error: {exc}", file=sys.stderr)
        return 2
    files = raise_file_limit()
    runner = BridgeRunner(create_app(settings), tls)
    quiet_accept_errors(asyncio.get_running_loop(), runner.connections)
    try:
        await runner.setup()
    except SchemaNotReady as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        await runner.cleanup()
        return 2
    except (SQLAlchemyError, OSError) as exc:
        print(f"bridge: {database_problem(exc)}", file=sys.stderr)
        await runner.cleanup()
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reopen_logs)
    try:
        # plain TCP: the runner's connections negotiate TLS themselves (bridge.listener)
        site = web.TCPSite(runner, settings.http.host, settings.http.port)
        try:
            await site.start()
        except OSError as exc:
            where = f"{settings.http.host}:{settings.http.port}"
            print(f"bridge: cannot listen on {where}: {exc.strerror}", file=sys.stderr)
            return 2
        where = f"http{'s' if tls else ''}://{settings.http.host}:{settings.http.port}"
        cap, per_address = runner.connections.max_connections, runner.connections.per_address
        log.info(
            "listening on %s (at most %d connections, %s per address; file limit %d)",
            where,
            cap,
            per_address or "any number",
            files,
        )
        systemd.notify(f"READY=1\nSTATUS=listening on {where}")
        await stop.wait()
        log.info("stopping: draining requests, closing event streams, logging off AMI")
        systemd.notify("STOPPING=1")
    finally:
        await runner.cleanup()
    log.info("stopped")
    return 0


def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bridge.demo import run_demo as demo

    return asyncio.run(demo(settings, args.port))


def run_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_migrate(settings, "upgrade", args.revision))


def run_db_downgrade(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_migrate(settings, "downgrade", args.revision))


def run_db_current(settings: Settings, _args: argparse.Namespace) -> int:
    return asyncio.run(_migrate(settings, "current", None))


async def _migrate(settings: Settings, action: str, revision: str | None) -> int:
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
        asyncio.run(accounts.run_sql_script(settings.database.url, script))
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
