"""Logs that no client can write into: values chosen by clients and admins are escaped, and
account names that would break a log line (or HTTP Basic) are refused."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bridge.logs import TextFormatter, escaped
from tests.commands.run import bridge
from tests.support import P, Seed, basic
from tests.test_serve import serving

# no ":" in it: HTTP Basic would end the user name there
FORGED = "2026-11-29 12.00.00,000 INFO bridge.access [0] POST /forged 204 0.1 ms root 10.0.0.1"


def test_escaped_writes_control_characters_as_escapes() -> None:
    assert escaped("ops") == "ops"
    assert escaped("Zoë 🙂") == "Zoë 🙂"  # printable text is left alone
    assert escaped("a\nb\rc\td\x1b[31m") == "a\\x0ab\\x0dc\\x09d\\x1b[31m"
    assert escaped("a\u2028b\x85c\udcffd") == "a\\u2028b\\x85c\\udcffd"


def test_a_message_cannot_start_a_line_but_a_traceback_keeps_its_lines() -> None:
    formatter = TextFormatter()
    record = logging.LogRecord("bridge", logging.INFO, "", 0, "hello %s", (f"x\n{FORGED}",), None)
    record.request_id = "-"
    assert formatter.format(record).count("\n") == 0
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("bridge", logging.ERROR, "", 0, "failed", (), sys.exc_info())
        record.request_id = "-"
    assert "Traceback (most recent call last):\n" in formatter.format(record)


@pytest.mark.parametrize(
    "name",
    ["ops\nroot", "two words", "a:b", "tab\there", "", "x" * 65, "bell\x07", "wide\u2028line"],
)
async def test_account_add_refuses_names_that_break_lines_or_basic_auth(
    database_url: str, seed: Seed, name: str
) -> None:
    code, out, err = await bridge("account", "add", name, url=database_url, stdin="pw\n")
    assert code == 2 and out == ""
    assert "not a usable account name" in err and "\n" not in err.rstrip("\n")
    async with seed.engine.connect() as connection:
        assert await connection.scalar(sa.text("SELECT count(*) FROM accounts")) == 0


async def test_account_add_takes_ordinary_names(database_url: str) -> None:
    for name in ("ops", "wall.board-2", "zoë@example.org", "a+b_c"):
        code, out, _ = await bridge("account", "add", name, url=database_url, stdin="pw\n")
        assert (code, out) == (0, f"account {name} added\n")


async def test_a_name_seeded_by_sql_cannot_forge_a_log_line(
    seed: Seed, database_url: str, tmp_path: Path
) -> None:
    name = f"ops\n{FORGED}"
    await seed.account(name, "pw", is_admin=True)
    async with (
        serving(database_url, tmp_path) as (port, log, _),
        aiohttp.ClientSession() as session,
    ):
        for password in ("pw", "wrong"):
            async with session.get(
                f"http://127.0.0.1:{port}{P}/coreServers", headers=basic(name, password)
            ) as response:
                assert response.status == (200 if password == "pw" else 401)
    lines = log.read_text().splitlines()
    assert not any(line.startswith(FORGED[:30]) for line in lines)
    # the 200's access line: the name is one field (its spaces escaped too), before the address
    shown = "ops\\x0a" + FORGED.replace(" ", "\\x20")
    assert [line.split()[-2] for line in lines if "ops\\x0a" in line] == [shown]
