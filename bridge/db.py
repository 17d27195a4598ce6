"""The database engine: one per process, with the per-connection settings each dialect needs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; on SQLite every connection enforces foreign keys and waits for locks."""
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


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


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # WAL lets admins write with the sqlite3 shell while the bridge reads.
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"
