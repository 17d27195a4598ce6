"""``bridge import ami`` against the simulated PBX over TCP, and ``bridge import freepbx``
against a real MariaDB, each run twice as a process: the second run changes nothing.

MariaDB: ``BRIDGE_TEST_MARIADB_URL`` (default ``mysql://root@127.0.0.1:3306/test``) names a
server where databases and users may be created; each test makes its own and drops them. Where
no server answers the tests skip, unless ``BRIDGE_REQUIRE_MARIADB=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest
import sqlalchemy as sa
from pymysql.constants import CLIENT
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge import models
from bridge.directory.build import build_snapshot
from bridge.directory.load import load_rows
from bridge.inventory import InventoryError
from bridge.inventory.ami import caller_id_name
from bridge.inventory.freepbx import database_url
from bridge.pbxsim import QueueMember, SimulatedPbx, pjsip_lab_config
from tests.commands.run import bridge
from tests.support import Seed
from tests.tls import TestCa

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "freepbx" / "asterisk.sql"
MARIADB_URL = os.environ.get("BRIDGE_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test")
REQUIRE_MARIADB = os.environ.get("BRIDGE_REQUIRE_MARIADB") == "1"
HOSTILE = "\x1b[31mEvil\u202e\x00 \t name " + "x" * 300
TABLES = ("licenses", "users", "extensions", "queues", "agents")


async def contents(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import writes, in id order."""
    found = {}
    async with engine.connect() as connection:
        for name in TABLES:
            table = models.Base.metadata.tables[name]
            rows = await connection.execute(sa.select(table).order_by(table.c.id))
            found[name] = [tuple(row) for row in rows]
    return found


async def imported(engine: AsyncEngine) -> dict[str, Any]:
    """What the service makes of the directory: extensions, agents by queue."""
    snapshot = build_snapshot(await load_rows(engine), dt.datetime.now(dt.UTC), 1)
    index = snapshot.core_servers_by_slug["default"]
    return {
        "extensions": {e.number: (e.display_name, e.device, e.licensed) for e in index.extensions},
        "agents": {
            q.identifier: sorted(
                (a.interface, index.extensions_by_id[a.extension_id.lower()].number, a.penalty)
                for a in index.agents_by_queue.get(q.id.lower(), ())
                if a.extension_id
            )
            for q in index.queues
        },
        "queues": {q.identifier: q.display_name for q in index.queues},
    }


@pytest.fixture
async def lab_pbx() -> AsyncIterator[SimulatedPbx]:
    """The chan_pjsip lab, plus an endpoint with a hostile caller ID name, a FreePBX-style
    static member and a dynamic one."""
    config = pjsip_lab_config()
    config.endpoints["4227"] = HOSTILE
    support = config.queues["support"]
    support.members.append(
        QueueMember("Local/4225@from-queue/n", "Anna K", state_interface="hint:4225@ext-local")
    )
    support.members.append(QueueMember("PJSIP/4226", "Temp", membership="dynamic"))
    async with SimulatedPbx(login_failure_delay=0.01, config=config) as pbx:
        yield pbx


async def test_import_ami_from_the_simulated_pbx(
    database_url: str, seed: Seed, admin_engine: AsyncEngine, lab_pbx: SimulatedPbx
) -> None:
    cs = await seed.core_server(
        "default", ami_port=lab_pbx.port, ami_username="bridge", ami_secret="env:LAB_SECRET"
    )
    await seed.extension(cs, "4225", display_name="Old name")  # updated, and bound
    env = {"LAB_SECRET": "bridge-secret"}

    code, out, err = await bridge("import", "ami", "default", url=database_url, **env)
    assert (code, err) == (0, ""), out
    for line in (
        "user 4224: added ('Phone 4224')",
        "extension 4224: added ('Phone 4224', user 4224)",
        "extension 4225: updated (display name 'Old name' -> 'Phone 4225', bound to user 4225)",
        "license bridge-import: added (full, 4 seats)",
        "queue support: added ('support')",
        "agent PJSIP/4224 in queue support: added (extension 4224)",
        "agent Local/4225@from-queue/n in queue support: added (extension 4225)",
        "note: skipped endpoint 'trunk': not an extension: no hint names it, and its name is"
        " not a number",
        "extensions: 3 added, 1 updated, 0 unchanged; users: 4 added, 0 updated, 0 unchanged;"
        " queues: 1 added, 0 updated, 0 unchanged; agents: 2 added, 0 updated, 0 unchanged",
    ):
        assert line in out.splitlines(), out
    assert "bridge-secret" not in out and "\x1b" not in out
    first = await contents(admin_engine)
    seen = await imported(admin_engine)
    assert seen["queues"] == {"support": "support"}
    assert seen["agents"] == {
        "support": [("Local/4225@from-queue/n", "4225", 0), ("PJSIP/4224", "4224", 0)]
    }
    extensions = seen["extensions"]
    assert set(extensions) == {"4224", "4225", "4226", "4227"}
    assert extensions["4224"] == ("Phone 4224", "PJSIP/4224", True)
    name, _, licensed = extensions["4227"]
    assert licensed and name.startswith("[31mEvil name xxx") and len(name) == 80
    assert name.isprintable()
    agent = next(r for r in first["agents"] if "PJSIP/4224" in r)
    assert "Agent 4224" in agent  # the member's own name

    code, out, err = await bridge("import", "ami", "default", url=database_url, **env)
    assert (code, err) == (0, ""), out
    assert not [line for line in out.splitlines() if ": added" in line or ": updated" in line]
    assert "nothing to change (extensions: 0 added, 0 updated, 4 unchanged;" in out
    assert await contents(admin_engine) == first

    seats = ("--seats", "10")
    code, out, _ = await bridge("import", "ami", "default", *seats, url=database_url, **env)
    assert (code, out.splitlines()[1]) == (0, "license bridge-import: updated (seats 4 -> 10)")


async def test_import_ami_logs_in_as_the_service_does_md5_over_tls(
    database_url: str, seed: Seed, test_ca: TestCa
) -> None:
    async with SimulatedPbx(
        login_failure_delay=0.01, config=pjsip_lab_config(), ssl=test_ca.server_context()
    ) as pbx:
        await seed.core_server(
            "default",
            ami_port=pbx.port,
            ami_username="bridge",
            ami_secret="bridge-secret",
            ami_tls=True,
            ami_tls_ca=str(test_ca.pem),
        )
        code, out, err = await bridge("import", "ami", "default", url=database_url)
        records = pbx.log.of()
    assert (code, err) == (0, ""), out
    assert f"core server default: from Asterisk at 127.0.0.1:{pbx.port} (TLS) over AMI" in out
    assert "extension 4224: added ('Phone 4224', user 4224)" in out.splitlines()
    login = next(r.message for r in records if r.name == "Login")
    assert [r.name for r in records][:2] == ["Challenge", "Login"]
    assert login.get("AuthType") == "MD5" and "Secret" not in login
    assert b"bridge-secret" not in b"".join(r.raw for r in records)


async def test_import_ami_failures_are_one_line(
    database_url: str, seed: Seed, lab_pbx: SimulatedPbx
) -> None:
    code, _, err = await bridge("import", "ami", "nowhere", url=database_url)
    assert (code, err) == (1, "bridge: no core server 'nowhere': add it first\n")
    await seed.core_server(
        "default", ami_port=lab_pbx.port, ami_username="bridge", ami_secret="Wr0ng-s3cret"
    )
    code, out, err = await bridge("import", "ami", "default", url=database_url)
    assert code == 1 and out == ""
    assert err.startswith("bridge: Asterisk at 127.0.0.1:") and "login refused" in err
    assert "Wr0ng-s3cret" not in err and len(err.splitlines()) == 1
    await seed.sql("UPDATE core_servers SET ami_secret = 'bridge-secret'")
    lab_pbx.users["bridge"].write = frozenset({"call", "reporting", "originate"})
    code, out, err = await bridge("import", "ami", "default", url=database_url)
    assert (code, out) == (1, "")
    assert err == (
        "bridge: the AMI user may not run PJSIPShowEndpoints"
        " (it needs the write class 'system' in manager.conf)\n"
    )


async def test_import_ami_from_a_pbx_without_pjsip(
    database_url: str, seed: Seed, pbx: SimulatedPbx
) -> None:
    # the Local-channel lab: no chan_pjsip, queue support of member Local/4224@internal
    await seed.core_server(
        "default", ami_port=pbx.port, ami_username="bridge", ami_secret="bridge-secret"
    )
    code, out, err = await bridge("import", "ami", "default", url=database_url)
    assert (code, err) == (0, ""), out
    assert "note: no extensions read: Asterisk has no PJSIP endpoints" in out.splitlines()
    assert "queue support: added ('support')" in out.splitlines()
    assert (
        "note: skipped member 'Local/4224@internal' of queue 'support':"
        " no extension of this core server has that device"
    ) in out.splitlines()


@pytest.fixture
def mariadb() -> Iterator[pymysql.Connection[Any]]:
    """An admin connection to the test MariaDB server."""
    url = make_url(MARIADB_URL)
    try:
        connection = pymysql.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "root",
            password=url.password or "",
            connect_timeout=3,
            autocommit=True,
            client_flag=CLIENT.MULTI_STATEMENTS,
        )
    except pymysql.Error as exc:
        message = f"MariaDB at {url.render_as_string()} unavailable: {exc}"
        if REQUIRE_MARIADB:
            pytest.fail(message)
        pytest.skip(message)
    yield connection
    connection.close()


@pytest.fixture
def freepbx(mariadb: pymysql.Connection[Any]) -> Iterator[tuple[URL, str]]:
    """A FreePBX database (the fixture's tables) and a user that may only SELECT in it:
    its URL (with the password) and the password."""
    name = f"freepbx_{uuid.uuid4().hex[:12]}"
    user, password = f"ro_{uuid.uuid4().hex[:12]}", f"p@ss:{uuid.uuid4().hex[:8]}/w"
    with mariadb.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        try:
            cursor.execute(f"USE `{name}`")
            cursor.execute(FIXTURE.read_text())
            while cursor.nextset():
                pass
            cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
            cursor.execute(f"GRANT SELECT ON `{name}`.* TO '{user}'@'%'")
            server = make_url(MARIADB_URL)
            yield (
                URL.create("mysql", user, password, server.host, server.port, name),
                password,
            )
        finally:
            cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def checksums(mariadb: pymysql.Connection[Any], database: str) -> tuple[Any, ...]:
    with mariadb.cursor() as cursor:
        names = ", ".join(
            f"`{database}`.`{t}`" for t in ("users", "devices", "queues_config", "queues_details")
        )
        cursor.execute(f"CHECKSUM TABLE {names}")
        return tuple(cursor.fetchall())


async def test_import_freepbx_from_mariadb(
    database_url: str,
    seed: Seed,
    admin_engine: AsyncEngine,
    mariadb: pymysql.Connection[Any],
    freepbx: tuple[URL, str],
) -> None:
    url, password = freepbx
    await seed.core_server("default")
    before = checksums(mariadb, str(url.database))
    env = {"FREEPBX_URL": url.render_as_string(hide_password=False)}
    command = ("import", "freepbx", "default", "--database", "env:FREEPBX_URL")

    code, out, err = await bridge(*command, url=database_url, **env)
    assert (code, err) == (0, ""), out
    for line in (
        f"core server default: from FreePBX's database {url.database} at {url.host}",
        "extension 4224: added ('Michael Y', user 4224)",
        "extension 4227: added ('Old SIP phone', SIP/4227, user 4227)",
        "license bridge-import: added (full, 5 seats)",
        "queue 5000: added ('Support')",
        "agent Local/4224@from-queue/n in queue 5000: added (extension 4224)",
        "agent PJSIP/4225 in queue 5000: added (extension 4225)",
        "agent SIP/4227 in queue 5001: added (extension 4227)",
        "note: skipped extension '42 99': not a usable extension number",
        "note: skipped member 'Local/9999@from-queue/n' of queue '5001':"
        " no extension of this core server has that device",
    ):
        assert line in out.splitlines(), out
    assert password not in out and "\x1b" not in out
    first = await contents(admin_engine)
    seen = await imported(admin_engine)
    assert seen["extensions"] == {
        "4224": ("Michael Y", "PJSIP/4224", True),
        "4225": ("Anna K", "PJSIP/4225", True),
        "4226": ("Evil[2J Eve", "PJSIP/4226", True),
        "4227": ("Old SIP phone", "SIP/4227", True),
        "4228": ("Virtual", "PJSIP/4228", True),
    }
    assert seen["queues"] == {"5000": "Support", "5001": "Sales"}
    assert seen["agents"] == {
        "5000": [("Local/4224@from-queue/n", "4224", 0), ("PJSIP/4225", "4225", 2)],
        "5001": [("SIP/4227", "4227", 0)],
    }

    code, out, err = await bridge(*command, url=database_url, **env)
    assert (code, err) == (0, ""), out
    assert not [line for line in out.splitlines() if ": added" in line or ": updated" in line]
    assert "nothing to change (extensions: 0 added, 0 updated, 5 unchanged;" in out
    assert await contents(admin_engine) == first
    assert checksums(mariadb, str(url.database)) == before  # never written to

    # FreePBX's admin renames, re-weighs and removes: updated, and nothing is deleted
    with mariadb.cursor() as cursor:
        cursor.execute(f"USE `{url.database}`")
        cursor.execute("UPDATE users SET name = 'Anna Karenina' WHERE extension = '4225'")
        cursor.execute("UPDATE queues_config SET descr = 'Help desk' WHERE extension = '5000'")
        cursor.execute(
            "UPDATE queues_details SET data = 'PJSIP/4225,3' WHERE id = '5000' AND flags = 1"
        )
        cursor.execute("DELETE FROM queues_details WHERE data = 'Local/4224@from-queue/n,0'")
        cursor.execute("DELETE FROM users WHERE extension = '4228'")
    code, out, err = await bridge(*command, url=database_url, **env)
    assert (code, err) == (0, ""), out
    assert [line for line in out.splitlines() if ": updated" in line or ": added" in line] == [
        "user 4225: updated (display name 'Anna K' -> 'Anna Karenina')",
        "extension 4225: updated (display name 'Anna K' -> 'Anna Karenina')",
        "queue 5000: updated (display name 'Support' -> 'Help desk')",
        "agent PJSIP/4225 in queue 5000: updated (penalty 2 -> 3)",
    ]
    seen = await imported(admin_engine)
    assert set(seen["extensions"]) == {"4224", "4225", "4226", "4227", "4228"}
    assert seen["agents"]["5000"] == [
        ("Local/4224@from-queue/n", "4224", 0),
        ("PJSIP/4225", "4225", 3),
    ]


async def test_import_freepbx_failures_never_show_the_password(
    tmp_path: Path, freepbx: tuple[URL, str]
) -> None:
    url, password = freepbx
    nowhere = f"sqlite+aiosqlite:///{tmp_path / 'bridge.db'}"  # migrated, no core server
    assert (await bridge("db", "upgrade", url=nowhere))[0] == 0
    wrong = url.set(password=password + "-wrong").render_as_string(hide_password=False)
    code, out, err = await bridge("import", "freepbx", "default", "--database", wrong, url=nowhere)
    assert (code, out) == (1, "")
    assert err.startswith("bridge: cannot read FreePBX's database: Access denied"), err
    assert password not in err and len(err.splitlines()) == 1
    code, out, err = await bridge(
        "import", "freepbx", "default", "--database", "env:BRIDGE_TEST_UNSET", url=nowhere
    )
    assert (code, err) == (1, "bridge: --database names $BRIDGE_TEST_UNSET, which is not set\n")


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("postgresql://u:Secret@h/db", "--database must be a mysql:// URL (not postgresql://)"),
        ("not a url", "--database is not a URL like mysql://user:pass@host/asterisk"),
        ("mysql://u:Secret@h", "--database names no database (mysql://user:pass@host/asterisk)"),
    ],
)
def test_a_bad_database_url_is_refused_without_its_password(given: str, said: str) -> None:
    with pytest.raises(InventoryError) as refused:
        database_url(given)
    assert str(refused.value) == said


@pytest.mark.parametrize(
    ("callerid", "name"),
    [
        ('"Phone 4224" <4224>', "Phone 4224"),
        ('"Anna \\"K\\"" <4225>', 'Anna "K"'),  # ast_callerid_merge escapes quotes
        ("Bob <4226>", "Bob"),
        ("Front desk", "Front desk"),
        ("4227", None),
        ("<unknown>", None),
        ('"" <4228>', None),
        ('"\x07\x1b[2J" <4229>', "[2J"),
    ],
)
def test_caller_id_names(callerid: str, name: str | None) -> None:
    assert caller_id_name(callerid) == name
