"""Column types and server defaults that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles

from bridge.timeutil import format_utc, parse_utc

# A uuid4-shaped text over randomblob(), for SQLite, which has no uuid function.
SQLITE_UUID = (
    "(lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "
    "substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
    "substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))"
)
POSTGRES_UUID = "(gen_random_uuid())::text"
SQLITE_NOW = "(strftime('%Y-%m-%d %H:%M:%f', 'now'))"
# clock_timestamp(), not now(): rows inserted in one transaction keep their order (seats).
POSTGRES_NOW = "clock_timestamp()"


class DialectDefault(sa.sql.expression.ColumnElement[Any]):
    """A server default whose SQL differs between SQLite and PostgreSQL."""

    inherit_cache = False

    def __init__(self, sqlite: str, postgresql: str) -> None:
        self.sqlite = sqlite
        self.postgresql = postgresql


@compiles(DialectDefault, "sqlite")
def _default_on_sqlite(element: DialectDefault, compiler: Any, **kw: Any) -> str:
    return element.sqlite


@compiles(DialectDefault, "postgresql")
def _default_on_postgresql(element: DialectDefault, compiler: Any, **kw: Any) -> str:
    return element.postgresql


UUID_DEFAULT = DialectDefault(SQLITE_UUID, POSTGRES_UUID)
NOW_DEFAULT = DialectDefault(SQLITE_NOW, POSTGRES_NOW)


INVALID_TIME = dt.datetime.min.replace(tzinfo=dt.UTC)


class UtcTimestamp(sa.TypeDecorator[dt.datetime]):
    """An aware UTC datetime: ``timestamptz`` on PostgreSQL, text on SQLite.

    SQLite text may be written by hand as ``YYYY-MM-DD HH:MM:SS[.ffffff]``, with a ``T``
    separator and a ``Z`` or ``+00:00`` suffix too. Text that is no time at all reads as
    :data:`INVALID_TIME` (the earliest time there is), so that one bad row cannot stop the
    service and a misspelled licence expiry fails closed.
    """

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return format_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        parsed = parse_utc(value if isinstance(value, str) else repr(value))
        return INVALID_TIME if parsed is None else parsed
