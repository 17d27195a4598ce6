"""Opening the database for an admin command: only one migrated to head.

A command that writes rows on a database without the schema would fail half-way, and on SQLite
connecting alone creates the file; so the check comes first, and creates nothing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge import migrate
from bridge.db import create_engine

UPGRADE_HINT = "run `bridge db upgrade` first"


class CommandError(Exception):
    """What an admin command could not do, in words for the terminal (exit code 1)."""


class NotMigrated(CommandError):
    """The database is missing or not migrated to head; nothing was written."""


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names (None: not SQLite, or an in-memory database)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database.startswith("file:"):  # a URI filename (?uri=true)
        database = database[5:].split("?", 1)[0]
    if database in ("", ":memory:") or "mode=memory" in str(parsed.query):
        return None
    return Path(database)


async def check_migrated(engine: AsyncEngine, url: str) -> None:
    """NotMigrated unless the database exists and is at the head revision."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise NotMigrated(f"there is no database at {path}: {UPGRADE_HINT} to create it")
    # alembic says at info level which dialect it found: noise on an admin's terminal.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    current = await migrate.current_revision(engine)
    head = migrate.head_revision()
    if current is None:
        raise NotMigrated(f"the database has no schema yet: {UPGRADE_HINT}")
    if current != head:
        raise NotMigrated(f"the database is at revision {current}, not {head}: {UPGRADE_HINT}")


@asynccontextmanager
async def migrated_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database migrated to head (NotMigrated, nothing created, otherwise)."""
    engine = create_engine(url)
    try:
        await check_migrated(engine, url)
        yield engine
    finally:
        await engine.dispose()


async def require_migrated(url: str) -> None:
    """NotMigrated unless the database at ``url`` is migrated to head."""
    async with migrated_engine(url):
        pass
