"""``bridge core-server add|list``, run as a process on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.commands.run import bridge
from tests.support import Seed
from tests.tls import TestCa


async def core_servers(seed: Seed) -> dict[str, sa.Row[tuple[object, ...]]]:
    async with seed.engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT * FROM core_servers"))
        return {row.slug: row for row in rows}


async def test_add_then_list_never_shows_a_secret(database_url: str, seed: Seed) -> None:
    code, out, err = await bridge(
        "core-server", "add", "pbx1", "--ami", "10.1.2.3", "--username", "bridge",
        "--secret", "env:PBX1_AMI_SECRET", url=database_url,
    )  # fmt: skip
    assert code == 0, err
    assert "core server pbx1 added" in out and "10.1.2.3:5038" in out
    assert "$PBX1_AMI_SECRET" in out and "not set in this shell" in out
    code, out, err = await bridge(
        "core-server", "add", "pbx2", "--ami", "[fd00::5]", "--username", "bridge",
        "--secret", "-", "--tls", "--context", "ext-local", "--channel-template",
        "SIP/{number}", "--name", "Branch office", "--auth", "plain",
        url=database_url, stdin="s3cret-from-stdin\n",
    )  # fmt: skip
    assert code == 0, err
    assert "s3cret" not in out + err
    rows = await core_servers(seed)
    one, two = rows["pbx1"], rows["pbx2"]
    assert (one.ami_host, one.ami_port, one.ami_username, one.ami_secret) == (
        "10.1.2.3",
        5038,
        "bridge",
        "env:PBX1_AMI_SECRET",
    )
    assert (one.name, bool(one.ami_tls), one.originate_context, one.channel_template) == (
        "pbx1",
        False,
        "from-internal",
        "PJSIP/{number}",
    )
    assert (two.ami_host, two.ami_port, bool(two.ami_tls), two.ami_tls_ca) == (
        "fd00::5",
        5039,
        True,
        None,
    )
    assert (two.ami_secret, two.ami_auth, two.name) == (
        "s3cret-from-stdin",
        "plain",
        "Branch office",
    )
    assert (two.originate_context, two.channel_template) == ("ext-local", "SIP/{number}")

    code, out, err = await bridge("core-server", "list", url=database_url)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["SLUG", "ID", "AMI", "TLS", "AUTH", "ENABLED", "NAME"]
    assert lines[1].split() == ["pbx1", one.id, "10.1.2.3:5038", "no", "md5", "yes", "pbx1"]
    assert lines[2].split()[:6] == ["pbx2", two.id, "[fd00::5]:5039", "yes", "plain", "yes"]
    assert "s3cret" not in out and "PBX1_AMI_SECRET" not in out


async def test_an_existing_slug_is_refused_or_updated(
    database_url: str, seed: Seed, test_ca: TestCa
) -> None:
    add = ("core-server", "add", "pbx1", "--ami", "pbx.example.net:5038", "--username", "bridge")
    assert (await bridge(*add, "--secret", "one", url=database_url))[0] == 0
    code, _, err = await bridge(*add, "--secret", "two", url=database_url)
    assert code == 1 and "exists already" in err and "--update" in err
    assert (await core_servers(seed))["pbx1"].ami_secret == "one"

    ca = test_ca.pem
    code, out, err = await bridge(
        "core-server", "add", "pbx1", "--update", "--secret", "-", "--tls", "--ca", str(ca),
        "--ami", "pbx.example.net:5039", url=database_url, stdin="fixed\n",
    )  # fmt: skip
    assert code == 0, err
    assert "updated" in out and "fixed" not in out
    row = (await core_servers(seed))["pbx1"]
    assert (row.ami_secret, bool(row.ami_tls), row.ami_tls_ca, row.ami_port) == (
        "fixed",
        True,
        str(ca.resolve()),
        5039,
    )
    assert (row.ami_username, row.name) == ("bridge", "pbx1")  # not given: unchanged
    code, _, err = await bridge(
        "core-server", "add", "pbx1", "--update", "--ami", "pbx2.example.net", "--tls",
        url=database_url,
    )  # fmt: skip
    assert code == 0, err
    row = (await core_servers(seed))["pbx1"]
    assert (row.ami_host, row.ami_port, row.ami_tls_ca) == (
        "pbx2.example.net",
        5039,
        str(ca.resolve()),
    )  # a port and a CA not given stay
    code, _, err = await bridge(
        "core-server", "add", "pbx1", "--update", "--no-tls", url=database_url
    )
    assert code == 0, err
    row = (await core_servers(seed))["pbx1"]
    assert (bool(row.ami_tls), row.ami_tls_ca) == (False, None)
    code, _, err = await bridge(
        "core-server", "add", "nope", "--update", "--name", "x", url=database_url
    )
    assert code == 1 and "no core server 'nope'" in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--ami", "pbx one", "--username", "u", "--secret", "s"], "not a host name"),
        (["--ami", "pbx:0", "--username", "u", "--secret", "s"], "1 to 65535"),
        (["--ami", "pbx:ami", "--username", "u", "--secret", "s"], "1 to 65535"),
        (["--ami", "[pbx]:5038", "--username", "u", "--secret", "s"], "not an IPv6 address"),
        (["--ami", "", "--username", "u", "--secret", "s"], "needs a host name"),
        (["--ami", "pbx", "--username", "u"], "needs --secret"),
        (["--ami", "pbx", "--username", "u", "--secret", "env:1X"], "environment variable"),
        (["--ami", "pbx", "--username", "two words", "--secret", "s"], "--username"),
        (["--ami", "pbx", "--username", "u", "--secret", "s", "--channel-template", "PJSIP/4224"],
         "must contain {number}"),
        (["--ami", "pbx", "--username", "u", "--secret", "s", "--channel-template", "{number}"],
         "TECH/RESOURCE"),
        (["--ami", "pbx", "--username", "u", "--secret", "s", "--ca", "x.pem"], "with --tls"),
        (["--ami", "pbx", "--username", "u", "--secret", "s", "--tls", "--ca", "/nonexistent.pem"],
         "No such file"),
    ],
)  # fmt: skip
async def test_bad_values_are_named_and_nothing_is_added(
    empty_database_url: str, options: list[str], message: str
) -> None:
    # The values are checked before the database is opened: this one is not even migrated.
    code, out, err = await bridge("core-server", "add", "pbx1", *options, url=empty_database_url)
    assert code == 2, (out, err)
    assert message in err
    assert "Traceback" not in err


async def test_a_bad_slug_is_refused(database_url: str, seed: Seed) -> None:
    code, _, err = await bridge(
        "core-server", "add", "a/b", "--ami", "pbx", "--username", "u", "--secret", "s",
        url=database_url,
    )  # fmt: skip
    assert code == 2 and "slug" in err
    assert await core_servers(seed) == {}
