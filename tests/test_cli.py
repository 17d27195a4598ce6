"""The ``bridge`` command line, run as a process."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from bridge import migrate
from bridge.db import create_engine
from tests.commands.run import bridge
from tests.conftest import BACKENDS
from tests.support import P, Seed, basic
from tests.test_serve import serving

ROOT = Path(__file__).resolve().parent.parent
SEED_EXAMPLE = ROOT / "config" / "seed.example.sql"
SEED_PAGE_CS = "ca5de6c4-17bd-46ce-95a2-8b29c7812ca4"
SEED_PAGE_EXT = "ef2faba9-8557-49c1-9ffc-5a71f41c7a23"
SEED_PAGE_USER = "ce1b2b59-15ad-46d2-a96a-2b4099630438"
SEED_PAGE_QUEUE = "05bf3ecf-ce6b-4c8f-9aa6-f8d111b2699b"
SEED_PAGE_AGENT = "d5e41ab4-445a-4613-99b5-7f5343045220"
HEAD = migrate.head_revision()


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
async def test_db_upgrade_current_downgrade(empty_database_url: str) -> None:
    url = empty_database_url
    assert (await bridge("db", "current", url=url))[:2] == (0, "base (empty)\n")
    code, out, _ = await bridge("db", "upgrade", url=url)
    assert (code, out) == (0, f"{HEAD} (head)\n")
    assert (await bridge("db", "current", url=url))[:2] == (0, f"{HEAD} (head)\n")
    assert (await bridge("db", "downgrade", "base", url=url))[:2] == (0, "base (empty)\n")


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
async def test_serve_refuses_an_unmigrated_database(empty_database_url: str) -> None:
    code, _, err = await bridge("serve", url=empty_database_url, BRIDGE_HTTP_PORT="0")
    assert code == 2
    assert "bridge db upgrade" in err


async def test_serve_refuses_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text("[http]\nport = 'eighty'\n")
    code, _, err = await bridge("serve", "--config", str(config), url="sqlite+aiosqlite:///x.db")
    assert code == 2
    assert "http.port" in err


async def test_account_add_and_hash_password(database_url: str, seed: Seed) -> None:
    code, out, _ = await bridge(
        "account", "add", "ops", "--admin", url=database_url, stdin="0ps-pa55\n"
    )
    assert (code, out) == (0, "account ops added\n")
    code, _, err = await bridge("account", "add", "ops", url=database_url, stdin="x\n")
    assert code == 1 and "exists already" in err
    cs = await seed.core_server("default")
    await seed.user(cs, "alice")
    code, _, _ = await bridge(
        "account",
        "add",
        "alice-phone",
        "--user",
        "alice",
        "--core-server",
        "default",
        url=database_url,
        stdin="pw\n",
    )
    assert code == 0
    code, _, err = await bridge(
        "account",
        "add",
        "x",
        "--user",
        "nobody",
        "--core-server",
        "default",
        url=database_url,
        stdin="pw\n",
    )
    assert code == 1 and "no user 'nobody'" in err
    async with seed.engine.connect() as connection:
        rows = {r.username: r for r in await connection.execute(sa.text("SELECT * FROM accounts"))}
    assert set(rows) == {"ops", "alice-phone"}
    assert PasswordHasher().verify(rows["ops"].password_hash, "0ps-pa55")
    assert bool(rows["ops"].is_admin) and not bool(rows["alice-phone"].is_admin)
    assert rows["alice-phone"].user_id is not None
    code, out, _ = await bridge("hash-password", url=database_url, stdin="s3cret\n")
    assert code == 0 and PasswordHasher().verify(out.strip(), "s3cret")
    assert "s3cret" not in out


async def test_seed_example_then_serve_then_sigterm(database_url: str, tmp_path: Path) -> None:
    """config/seed.example.sql runs on both databases; with accounts and grants from the command
    line as its comments say, the seed page's GET curl lines answer; SIGTERM stops the service
    with exit code 0."""
    code, _, err = await bridge("db", "seed", str(SEED_EXAMPLE), url=database_url)
    assert code == 0, err
    for args, stdin in (
        (("account", "add", "manager", "--admin"), "manag3rpa55word\n"),
        (("account", "add", "wallboard"), "wallb0ard-pa55\n"),
        (("grant", "wallboard", "view", "--core-server", "default"), ""),
        (("grant", "wallboard", "view", "--queue", "default/support"), ""),
        (("grant", "wallboard", "view", "--extension", "default/4224"), ""),
    ):
        code, _, err = await bridge(*args, url=database_url, stdin=stdin)
        assert code == 0, err
    async with (
        serving(database_url, tmp_path) as (port, log, _),
        aiohttp.ClientSession() as session,
    ):
        base = f"http://127.0.0.1:{port}"
        auth = basic("manager", "manag3rpa55word")
        cs = f"{base}{P}/coreServers/{SEED_PAGE_CS}"
        for path in (
            f"{cs}/extensions",
            f"{cs}/extensions/{SEED_PAGE_EXT}",
            f"{cs}/users/{SEED_PAGE_USER}/extensions",
            f"{cs}/users/{SEED_PAGE_USER}/extensions/{SEED_PAGE_EXT}",
            f"{cs}/queues/{SEED_PAGE_QUEUE}/agents/{SEED_PAGE_AGENT}/extension",
        ):
            async with session.get(path, headers=auth) as response:
                assert response.status == 200, path
                body = await response.json()
                one = body[0] if isinstance(body, list) else body
                assert one["extensionNumber"] == "4224"
                assert one["displayName"] == "Michael Y"
        async with session.get(
            f"{cs}/extensions", headers=basic("wallboard", "wallb0ard-pa55")
        ) as response:
            assert [e["extensionNumber"] for e in await response.json()] == ["4224", "4225"]
    assert "manag3rpa55word" not in log.read_text()


async def test_seed_example_runs_through_the_drivers(database_url: str) -> None:
    code, _, err = await bridge("db", "seed", str(SEED_EXAMPLE), url=database_url)
    assert code == 0, err
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            counts = {
                t: await connection.scalar(sa.text(f"SELECT count(*) FROM {t}"))  # noqa: S608
                for t in (
                    "core_servers",
                    "licenses",
                    "users",
                    "extensions",
                    "queues",
                    "agents",
                    "accounts",
                    "grants",
                )
            }
    finally:
        await engine.dispose()
    assert counts == {
        "core_servers": 1,
        "licenses": 2,
        "users": 3,
        "extensions": 3,
        "queues": 1,
        "agents": 2,
        "accounts": 0,
        "grants": 0,
    }


def test_the_seed_example_knows_no_password() -> None:
    """It is public: an account in it would have a password everyone knows."""
    text = SEED_EXAMPLE.read_text()
    assert "DEMO EXAMPLE" in text.splitlines()[0]
    assert "$argon2" not in text and "password_hash" not in text
    assert "bridge account add" in text


async def test_a_failing_seed_file_changes_nothing(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text(
        "BEGIN;\nINSERT INTO core_servers (slug, name) VALUES ('a', 'A');\n"
        "INSERT INTO nowhere VALUES (1);\nCOMMIT;\n"
    )
    code, _, err = await bridge("db", "seed", str(bad), url=database_url)
    assert code == 1 and "nowhere" in err
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(sa.text("SELECT count(*) FROM core_servers")) == 0
    finally:
        await engine.dispose()


async def test_config_before_the_subcommand_counts(tmp_path: Path) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "x.db"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bridge",
        "--config",
        str(config),
        "db",
        "upgrade",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    out, _ = await process.communicate()
    assert (process.returncode, out) == (0, f"{HEAD} (head)\n".encode())
    assert (tmp_path / "x.db").exists() and not (tmp_path / "bridge.db").exists()
    code, _, err = await bridge(
        "--config",
        str(tmp_path / "nope.toml"),
        "db",
        "current",
        url="sqlite+aiosqlite:///unused.db",
    )
    assert code == 2 and "does not exist" in err


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
async def test_cli_failures_are_one_line_without_secrets(empty_database_url: str) -> None:
    code, out, err = await bridge(
        "account", "add", "bob", url=empty_database_url, stdin="hunter2-secret\n"
    )
    assert code == 1
    assert "Traceback" not in err and "argon2" not in err and "hunter2" not in err + out
    assert "bridge db upgrade" in err
    code, _, err = await bridge(
        "db", "upgrade", url="postgresql+asyncpg://nobody:pw-x@127.0.0.1:9/none"
    )
    assert code == 1 and "Traceback" not in err and "pw-x" not in err
    assert "cannot reach the database" in err


async def test_a_busy_port_is_a_message(database_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = await bridge("serve", url=database_url, BRIDGE_HTTP_PORT=str(port))
    assert code == 2 and "Traceback" not in err
    assert f"cannot listen on 127.0.0.1:{port}" in err
