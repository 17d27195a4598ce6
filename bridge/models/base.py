"""What every table of the schema shares: the declarative base with its naming convention, and
the columns whose defaults the database fills in (so that an admin may INSERT without them)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bridge.sqltypes import NOW_DEFAULT, UUID_DEFAULT, UtcTimestamp


def uuid_column(*, primary_key: bool = False) -> Mapped[str]:
    return mapped_column(sa.Text, primary_key=primary_key, server_default=UUID_DEFAULT)


def created_at_column() -> Mapped[dt.datetime]:
    return mapped_column(UtcTimestamp, server_default=NOW_DEFAULT)


def flag(name: str, default: bool) -> Mapped[bool]:
    # create_constraint: SQLite stores booleans as integers; only 0 and 1 are booleans.
    return mapped_column(
        sa.Boolean(create_constraint=True, name=f"ck_{name}_bool"),
        server_default=sa.true() if default else sa.false(),
    )


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
