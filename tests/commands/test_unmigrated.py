"""Admin commands on a database that is not migrated to head: they say so and create nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bridge import migrate
from bridge.db import create_engine
from tests.commands.run import ROOT, bridge
from tests.conftest import BACKENDS

COMMANDS = [
    (["db", "seed", str(ROOT / "config" / "seed.example.sql")], ""),
    (["account", "add", "ops", "--admin"], "pw\n"),
    (["grant", "ops", "view", "--all"], ""),
    (["core-server", "add", "pbx1", "--ami", "pbx", "--username", "u", "--secret", "s"], ""),
    (["core-server", "list"], ""),
    (["account", "list"], ""),
    (["import", "ami", "pbx1"], ""),
    (["import", "freepbx", "pbx1", "--database", "mysql://root@127.0.0.1/asterisk"], ""),
    (["check"], ""),
]


@pytest.mark.parametrize("action", [["current"], ["downgrade", "base"]])
async def test_db_current_on_no_database_creates_none(tmp_path: Path, action: list[str]) -> None:
    code, out, err = await bridge(
        "db", *action, url="sqlite+aiosqlite:///./bridge.db", cwd=tmp_path
    )
    assert (code, out) == (0, "base (empty)\n"), err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(("args", "stdin"), COMMANDS)
async def test_no_sqlite_file_is_created(tmp_path: Path, args: list[str], stdin: str) -> None:
    """In an empty folder, with the default relative URL: no bridge.db appears."""
    code, out, err = await bridge(
        *args, url="sqlite+aiosqlite:///./bridge.db", stdin=stdin, cwd=tmp_path
    )
    assert code == 1, (out, err)
    assert "run `bridge db upgrade`" in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
async def test_an_older_revision_is_refused(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        await migrate.upgrade(engine, "0001")
        code, _, err = await bridge("core-server", "list", url=empty_database_url)
        assert code == 1
        assert f"at revision 0001, not {migrate.head_revision()}" in err
        code, _, err = await bridge("account", "add", "ops", url=empty_database_url, stdin="pw\n")
        assert code == 1 and "run `bridge db upgrade`" in err
        assert await migrate.current_revision(engine) == "0001"
    finally:
        await engine.dispose()


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
async def test_an_empty_database_is_refused(empty_database_url: str) -> None:
    code, _, err = await bridge("grant", "ops", "view", "--all", url=empty_database_url)
    assert code == 1 and "run `bridge db upgrade`" in err
