"""Reads the directory tables in one go.

On SQLite, type affinity lets an admin shell store values of the wrong type (``seats = 2.5``,
a blob for a name). Rows are cleaned on the way in: text becomes ``str``, whole numbers ``int``;
a row whose required column cannot be read is left out and logged, so one bad row never stops
the service (a license left out licenses nobody: it fails closed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge import models
from bridge.directory.build import DirectoryRows

log = logging.getLogger(__name__)

_TABLES: dict[str, sa.Table] = {
    name: models.Base.metadata.tables[name] for name in models.DIRECTORY_TABLES
}
_UNREADABLE = object()


async def load_rows(engine: AsyncEngine) -> DirectoryRows:
    """All directory rows; on PostgreSQL from one consistent (repeatable read) snapshot."""
    options: dict[str, Any] = {}
    if engine.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    clean = engine.dialect.name == "sqlite"
    async with engine.connect() as connection:
        connection = await connection.execution_options(**options)
        async with connection.begin():
            tables = {name: await _rows(connection, t, clean) for name, t in _TABLES.items()}
    return DirectoryRows(**tables)


async def _rows(connection: AsyncConnection, table: sa.Table, clean: bool) -> list[Any]:
    result = await connection.execute(sa.select(table))
    rows = list(result.mappings())
    return _cleaned(table, rows) if clean else rows


def _cleaned(table: sa.Table, rows: Iterable[sa.RowMapping]) -> list[dict[str, Any]]:
    readers = [(c.name, _reader(c.type), c.nullable) for c in table.columns]
    cleaned = []
    for row in rows:
        values = {name: read(row[name]) for name, read, _ in readers}
        bad = [
            n
            for n, _, nullable in readers
            if values[n] is _UNREADABLE or (values[n] is None and not nullable)
        ]
        if bad:
            log.warning(
                "%s row %s left out: unreadable %s", table.name, values.get("id"), ", ".join(bad)
            )
            continue
        cleaned.append(values)
    return cleaned


def _reader(column_type: sa.types.TypeEngine[Any]) -> Any:
    if isinstance(column_type, sa.Boolean):
        return _boolean
    if isinstance(column_type, sa.Integer):
        return _integer
    if isinstance(column_type, sa.Text):
        return _text
    return _as_is


def _as_is(value: Any) -> Any:
    return value


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _integer(value: Any) -> Any:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _UNREADABLE


def _boolean(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    return bool(value) if value in (0, 1) else _UNREADABLE
