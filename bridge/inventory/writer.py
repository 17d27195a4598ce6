"""What the import's writers share: inserting and updating directory rows in the import's
transaction, and recording each in the report."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge import models
from bridge.inventory import quoted
from bridge.inventory.report import ImportReport
from bridge.inventory.rows import DirectoryRows, Row


class RowWriter:
    """Rows of one core server's directory (``rows``, kept in step), written through ``db``."""

    def __init__(self, db: AsyncConnection, rows: DirectoryRows, report: ImportReport) -> None:
        self.db = db
        self.rows = rows
        self.report = report
        self.server_id = rows.server_id

    async def insert(self, model: type[models.Base], **values: Any) -> Row:
        table = models.Base.metadata.tables[str(model.__tablename__)]
        row_id = await self.db.scalar(sa.insert(table).values(**values).returning(table.c.id))
        return {"id": row_id, **values}

    async def update(self, model: type[models.Base], row: Row, **values: Any) -> None:
        table = models.Base.metadata.tables[str(model.__tablename__)]
        await self.db.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))
        row.update(values)
        if model is models.Extension:
            self.rows.changed_extension()

    async def changed(
        self,
        model: type[models.Base],
        kind: str,
        key: str,
        row: Row,
        changes: dict[str, Any],
        words: list[str] | None = None,
    ) -> None:
        """``row`` updated with ``changes`` and reported as updated (in ``words``, else each
        column's before and after), or reported unchanged when there are none."""
        if not changes:
            self.report.record(kind, key, "unchanged")
            return
        if words is None:
            words = [change(k, row.get(k), v) for k, v in changes.items()]
        await self.update(model, row, **changes)
        self.report.record(kind, key, "updated", ", ".join(words))


def change(column: str, before: Any, after: Any) -> str:
    """One column's change in the report's words: ``display name "Bob" -> "Robert"``."""
    return f"{column.replace('_', ' ')} {shown(before)} -> {shown(after)}"


def shown(value: Any) -> str:
    if value is None:
        return "none"
    return quoted(value) if isinstance(value, str) else str(value)
