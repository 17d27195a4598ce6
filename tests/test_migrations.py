"""Migrations up and down on both databases; the model matches the migrated schema; admins can
INSERT without ids and the database enforces keys and checks."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import DBAPIError, IntegrityError

from bridge import migrate, models
from bridge.db import create_engine
from bridge.sqltypes import UtcTimestamp
from tests.conftest import BACKENDS
from tests.support import Seed

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# Kept by the migration on PostgreSQL for change detection; not part of the model.
NOT_MODELLED = {"bridge_directory_version", "alembic_version"}


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
async def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        assert await migrate.current_revision(engine) is None
        await migrate.upgrade(engine)
        assert await migrate.is_at_head(engine)
        assert set(await _tables(engine)) >= set(models.DIRECTORY_TABLES)
        await migrate.downgrade(engine, "base")
        assert await migrate.current_revision(engine) is None
        assert set(await _tables(engine)) <= {"alembic_version"}
        await migrate.upgrade(engine)
        assert await migrate.is_at_head(engine)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
async def test_0004_adds_the_ami_columns_and_keeps_every_row(empty_database_url: str) -> None:
    """0004 changes core_servers, which every directory table hangs off (ON DELETE CASCADE):
    up and down must keep the rows, theirs included."""
    engine = create_engine(empty_database_url)
    try:
        await migrate.upgrade(engine, "0003")
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("INSERT INTO core_servers (slug, name) VALUES ('a', 'A')")
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO licenses (core_server_id, seats) SELECT id, 1 FROM core_servers"
                )
            )
        await migrate.upgrade(engine, "0004")
        async with engine.begin() as connection:
            row = (await connection.execute(sa.text("SELECT * FROM core_servers"))).mappings().one()
            assert not row["ami_tls"] and row["ami_tls_ca"] is None and row["ami_auth"] == "md5"
            await connection.execute(
                sa.text("UPDATE core_servers SET ami_tls = :on, ami_auth = 'plain'"), {"on": True}
            )
        await migrate.downgrade(engine, "0003")
        async with engine.connect() as connection:
            row = (await connection.execute(sa.text("SELECT * FROM core_servers"))).mappings().one()
            licenses = await connection.scalar(sa.text("SELECT count(*) FROM licenses"))
        assert row["slug"] == "a" and licenses == 1
        assert not {"ami_tls", "ami_tls_ca", "ami_auth"} & set(row.keys())
        await migrate.upgrade(engine)
        assert await migrate.is_at_head(engine)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
async def test_model_matches_migrated_schema(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            diffs = await connection.run_sync(_compare)
    finally:
        await engine.dispose()
    assert diffs == []


def _compare(connection: sa.Connection) -> list[Any]:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (type_ == "table" and name in NOT_MODELLED)

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include}
    )
    return list(compare_metadata(context, models.Base.metadata))


async def _tables(engine: Any) -> list[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda c: sa.inspect(c).get_table_names())  # type: ignore[no-any-return]


async def test_admin_inserts_without_ids(seed: Seed) -> None:
    await seed.sql("INSERT INTO core_servers (slug, name) VALUES ('pbx', 'PBX')")
    await seed.sql("INSERT INTO licenses (core_server_id, seats) SELECT id, 5 FROM core_servers")
    await seed.sql(
        "INSERT INTO users (core_server_id, username, license_id)"
        " SELECT cs.id, 'ann', l.id"
        " FROM core_servers cs JOIN licenses l ON l.core_server_id = cs.id"
    )
    await seed.sql(
        "INSERT INTO extensions (core_server_id, user_id, extension_number)"
        " SELECT core_server_id, id, '100' FROM users"
    )
    await seed.sql(
        "INSERT INTO queues (core_server_id, identifier) SELECT id, 'q' FROM core_servers"
    )
    await seed.sql(
        "INSERT INTO agents (queue_id, extension_id) SELECT q.id, e.id FROM queues q, extensions e"
    )
    await seed.sql("INSERT INTO accounts (username, password_hash) VALUES ('a', 'x')")
    await seed.sql(
        "INSERT INTO grants (account_id, permission_id) SELECT a.id, e.permission_id"
        " FROM accounts a, extensions e"
    )
    async with seed.engine.connect() as connection:
        for model in (
            models.CoreServer,
            models.License,
            models.User,
            models.Extension,
            models.Queue,
            models.Agent,
            models.Account,
            models.Grant,
        ):
            row = (await connection.execute(sa.select(model.__table__))).mappings().one()
            for column in ("id", "permission_id", "configuration_id"):
                if column in row and column in _defaulted(model):
                    assert UUID.match(row[column]), (model.__tablename__, column, row[column])
            if "created_at" in row:
                created = row["created_at"]
                assert isinstance(created, dt.datetime)
                assert abs(created - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    core = await _one(seed, "SELECT * FROM core_servers")
    assert (core["ami_port"], core["originate_context"], core["channel_template"]) == (
        5038,
        "from-internal",
        "PJSIP/{number}",
    )
    assert bool(core["enabled"]) is True
    assert (bool(core["ami_tls"]), core["ami_tls_ca"], core["ami_auth"]) == (False, None, "md5")
    ids = {(await _one(seed, f"SELECT id FROM {t}"))["id"] for t in models.DIRECTORY_TABLES}  # noqa: S608
    assert len(ids) == len(models.DIRECTORY_TABLES)  # all different


def _defaulted(model: type[models.Base]) -> set[str]:
    return {c.name for c in model.__table__.columns if c.server_default is not None}


async def _one(seed: Seed, statement: str) -> Any:
    async with seed.engine.connect() as connection:
        return (await connection.execute(sa.text(statement))).mappings().one()


async def test_created_at_keeps_insertion_order_within_a_transaction(seed: Seed) -> None:
    cs = await seed.core_server()
    async with seed.engine.begin() as connection:
        for name in ("u1", "u2", "u3"):
            await connection.execute(
                sa.text("INSERT INTO users (core_server_id, username) VALUES (:cs, :n)"),
                {"cs": cs, "n": name},
            )
    async with seed.engine.connect() as connection:
        rows = (await connection.execute(sa.text("SELECT username, created_at FROM users"))).all()
    times = {name: UtcTimestamp().process_result_value(t, seed.engine.dialect) for name, t in rows}
    assert times["u1"] is not None and times["u2"] is not None and times["u3"] is not None
    assert times["u1"] <= times["u2"] <= times["u3"]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO users (core_server_id, username) VALUES ('no-such-server', 'x')",
        "INSERT INTO licenses (core_server_id, kind, seats) SELECT id, 'gold', 1 FROM core_servers",
        "INSERT INTO licenses (core_server_id, seats) SELECT id, -1 FROM core_servers",
        "INSERT INTO grants (account_id, permission_id, action) VALUES ('nobody', 'p', 'view')",
        "INSERT INTO core_servers (slug, name) VALUES ('default', 'again')",
        "INSERT INTO core_servers (slug, name, ami_port) VALUES ('other', 'x', 70000)",
        "INSERT INTO core_servers (slug, name, enabled) VALUES ('other', 'x', 7)",
        "INSERT INTO core_servers (slug, name, ami_tls) VALUES ('other', 'x', 7)",
        "INSERT INTO core_servers (slug, name, ami_auth) VALUES ('other', 'x', 'sha1')",
        "INSERT INTO core_servers (slug, name, ami_auth) VALUES ('other', 'x', 'MD5')",
        "UPDATE core_servers SET ami_auth = NULL",
        "INSERT INTO extensions (core_server_id, extension_number, user_id)"
        " SELECT id, '1', 'ghost' FROM core_servers",
    ],
)
async def test_database_enforces_keys_and_checks(seed: Seed, statement: str) -> None:
    await seed.core_server("default")
    with pytest.raises(DBAPIError):  # IntegrityError, or a type error on PostgreSQL
        await seed.sql(statement)


async def test_unique_per_core_server(seed: Seed) -> None:
    first, second = await seed.core_server("a"), await seed.core_server("b")
    await seed.extension(first, "100")
    await seed.extension(second, "100")  # same number, other server: fine
    with pytest.raises(IntegrityError):
        await seed.extension(first, "100")


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
async def test_0006_adds_the_control_and_pause_grants(empty_database_url: str) -> None:
    """0006 lets grants say ``control`` and ``pause``; down again drops exactly those grants
    (0005 cannot hold them) and keeps every other, and the table keeps its defaults, keys and
    checks both ways (SQLite rebuilds the table)."""
    engine = create_engine(empty_database_url)
    insert = "INSERT INTO grants (account_id, permission_id, action) SELECT id, 'p', :action"
    try:
        await migrate.upgrade(engine, "0005")
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("INSERT INTO accounts (username, password_hash) VALUES ('a', 'x')")
            )
            await connection.execute(sa.text(f"{insert} FROM accounts"), {"action": "dnd"})
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(sa.text(f"{insert} FROM accounts"), {"action": "control"})
        await migrate.upgrade(engine, "0006")
        async with engine.begin() as connection:
            for action in ("control", "pause"):
                await connection.execute(sa.text(f"{insert} FROM accounts"), {"action": action})
        await _refused(engine, f"{insert} FROM accounts", action="kick")
        await _refused(engine, "INSERT INTO grants (account_id, permission_id) VALUES ('x', 'p')")
        await migrate.downgrade(engine, "0005")
        async with engine.connect() as connection:
            rows = (await connection.execute(sa.text("SELECT * FROM grants"))).mappings().all()
        assert [row["action"] for row in rows] == ["dnd"]
        assert UUID.match(rows[0]["id"])
        await _refused(engine, f"{insert} FROM accounts", action="pause")
        await migrate.upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(sa.text("DELETE FROM accounts"))
            assert await connection.scalar(sa.text("SELECT count(*) FROM grants")) == 0
    finally:
        await engine.dispose()


async def _refused(engine: Any, statement: str, **params: Any) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(sa.text(statement), params)
