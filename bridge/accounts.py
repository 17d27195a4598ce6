"""Admin tooling on the database: accounts, and running SQL seed files."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from bridge import models
from bridge.db import create_engine

# Letters and digits (any script), and . _ - @ +: no spaces, no control characters (a name goes
# into log lines), no ":" (HTTP Basic ends the user name at the first one).
ACCOUNT_NAME = re.compile(r"[\w.@+-]{1,64}")


class AccountError(Exception):
    """The account cannot be added as asked."""


def check_account_name(name: str) -> None:
    """AccountError unless ``name`` is a usable account name."""
    if ACCOUNT_NAME.fullmatch(name) is None:
        raise AccountError(
            f"{name!r} is not a usable account name: use 1 to 64 letters, digits and . _ - @ +"
        )


async def add_account(
    url: str,
    name: str,
    password_hash: str,
    *,
    is_admin: bool = False,
    user: tuple[str, str] | None = None,
) -> str:
    """Insert an account (optionally linked to ``(core server slug, username)``); its id."""
    check_account_name(name)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            user_id = None
            if user is not None:
                slug, username = user
                user_id = await connection.scalar(
                    sa.select(models.User.id)
                    .join(models.CoreServer, models.CoreServer.id == models.User.core_server_id)
                    .where(models.CoreServer.slug == slug, models.User.username == username)
                )
                if user_id is None:
                    raise AccountError(f"no user {username!r} on core server {slug!r}")
            account_id = await connection.scalar(
                sa.insert(models.Account)
                .values(
                    username=name, password_hash=password_hash, is_admin=is_admin, user_id=user_id
                )
                .returning(models.Account.id)
            )
            return str(account_id)
    finally:
        await engine.dispose()


async def run_sql_script(url: str, script: str) -> None:
    """Run a multi-statement SQL file through the driver, as ``sqlite3`` or ``psql -f`` would.

    The file brings its own ``BEGIN``/``COMMIT``; a failing statement leaves its transaction
    open, and closing the connection rolls it back."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            if engine.dialect.name == "sqlite":
                await driver.executescript(script)
            else:
                await driver.execute(script)
    finally:
        await engine.dispose()
