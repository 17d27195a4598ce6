"""Reads the directory tables in one go."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge import models
from bridge.directory.build import DirectoryRows

_TABLES: dict[str, sa.FromClause] = {
    "core_servers": models.CoreServer.__table__,
    "licenses": models.License.__table__,
    "users": models.User.__table__,
    "extensions": models.Extension.__table__,
    "queues": models.Queue.__table__,
    "agents": models.Agent.__table__,
    "accounts": models.Account.__table__,
    "grants": models.Grant.__table__,
}


async def load_rows(engine: AsyncEngine) -> DirectoryRows:
    """All directory rows; on PostgreSQL from one consistent (repeatable read) snapshot."""
    options = {}
    if engine.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    async with engine.connect() as connection:
        connection = await connection.execution_options(**options)
        async with connection.begin():
            return DirectoryRows(
                **{name: await _rows(connection, t) for name, t in _TABLES.items()}
            )


async def _rows(connection: AsyncConnection, table: sa.FromClause) -> list[sa.RowMapping]:
    result = await connection.execute(sa.select(table))
    return list(result.mappings())
