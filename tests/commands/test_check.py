"""``bridge check``: the real directory, the simulated PBX on TCP enforcing each AMI user's write
classes as Asterisk does, and the command as a process for its exit codes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bridge.commands.check import UnknownCoreServer, run_check
from bridge.commands.probes import PROBES
from bridge.pbxsim import AmiUser, SimulatedPbx
from bridge.pbxsim.config import EVENT_CLASSES
from tests.commands.run import bridge
from tests.pbxsim.client import AmiTestClient
from tests.support import Seed, free_port
from tests.tls import TestCa

SECRET = "bridge-secret"  # the simulated PBX's lab credential
ALL_ACTIONS = {p.action for p in PROBES}


async def check(url: str, slug: str | None = None, within: float = 2.0) -> tuple[int, list[str]]:
    lines: list[str] = []
    async with asyncio.timeout(30):
        problems = await run_check(url, slug, within, lines.append)
    return problems, lines


async def pbx_server(seed: Seed, pbx: SimulatedPbx, slug: str = "default", **values: object) -> str:
    values = {"ami_username": "bridge", "ami_secret": SECRET, **values}
    return await seed.core_server(slug, ami_port=pbx.port, **values)


async def test_all_good_exits_0_and_changes_nothing(
    database_url: str, seed: Seed, pbx: SimulatedPbx
) -> None:
    await pbx_server(seed, pbx)
    await seed.core_server("old", enabled=False, ami_port=free_port())
    astdb = dict(pbx.astdb)
    code, out, err = await bridge("check", url=database_url)
    lines = out.splitlines()
    assert (code, err) == (0, ""), out
    assert lines[0] == f"default  login ok as 'bridge' at 127.0.0.1:{pbx.port} (Asterisk 22.10.1)"
    for action in ALL_ACTIONS - {"PJSIPShowEndpoints", "PJSIPShowEndpoint"}:
        assert f"default  {action} ok" in lines
    assert "default  ok: the bridge can do all its work here" in lines
    assert "old  disabled: not checked" in lines
    assert SECRET not in out
    # Every action reached the PBX, and nothing on it changed: no AstDB write, no call.
    assert {action for action in ALL_ACTIONS if pbx.action_count(action)} == ALL_ACTIONS
    assert pbx.astdb == astdb
    assert pbx.action_count("Originate") == 1 and not pbx.channels
    assert pbx.action_count("Logoff") == 1


async def test_a_user_without_system_is_named_and_exits_1(
    database_url: str, seed: Seed, pbx: SimulatedPbx
) -> None:
    pbx.users["bridge"] = AmiUser("bridge", SECRET, write=EVENT_CLASSES - {"system"})
    await pbx_server(seed, pbx)
    code, out, _ = await bridge("check", "default", url=database_url)
    lines = out.splitlines()
    assert code == 1
    for action in ("DBPut", "DBDel"):
        assert (
            f"default  {action}: permission denied -> the AMI user needs write class 'system'"
            f" (for DND {'on' if action == 'DBPut' else 'off'})"
        ) in lines
    # 'reporting' is enough for the reads, 'call' for Hangup.
    for action in ("DBGet", "DBGetTree", "CoreShowChannels", "Hangup"):
        assert f"default  {action} ok" in lines
    assert lines[-1] == "default  2 problems"


async def test_each_missing_class_is_named(
    database_url: str, seed: Seed, pbx: SimulatedPbx
) -> None:
    pbx.users["reader"] = AmiUser("reader", "pw", write=frozenset({"reporting"}))
    await pbx_server(seed, pbx, ami_username="reader", ami_secret="pw")
    problems, lines = await check(database_url)
    denied = {
        line.split(":")[0].removeprefix("default  "): line.split("needs write class ")[1]
        for line in lines
        if "permission denied" in line
    }
    assert denied == {
        "Originate": "'originate' (for click-to-call)",
        "DBPut": "'system' (for DND on)",
        "DBDel": "'system' (for DND off)",
        "Setvar": "'call' (for the DND device state)",
        "QueuePause": "'agent' (for pause and unpause)",
        "Hangup": "'system' or 'call' (for hang-up)",
        "BlindTransfer": "'call' (for transfer)",
    }
    assert problems == len(denied)
    # CoreSettings needs 'system' or 'reporting': the version is still known.
    assert "(Asterisk 22.10.1)" in lines[0]


@pytest.mark.parametrize("auth", ["md5", "plain"])
async def test_a_wrong_secret_is_authentication_failed(
    database_url: str, seed: Seed, pbx: SimulatedPbx, auth: str
) -> None:
    await pbx_server(seed, pbx, ami_secret="not-the-secret", ami_auth=auth)
    problems, lines = await check(database_url)
    assert problems == 1
    assert lines == [
        "default  login as 'bridge': authentication failed -> check ami_username and"
        " ami_secret, and the user's permit/deny in manager.conf"
    ]
    assert "not-the-secret" not in "\n".join(lines)
    assert pbx.action_count("Challenge") == (auth == "md5")


async def test_nothing_listening_is_connection_refused(database_url: str, seed: Seed) -> None:
    port = free_port()
    await seed.core_server("default", ami_port=port)
    code, out, _ = await bridge("check", url=database_url)
    assert (code, out) == (1, f"default  connect to 127.0.0.1:{port}: connection refused\n")


async def test_a_disabled_core_server_named_is_checked_and_said_to_be_disabled(
    database_url: str, seed: Seed, pbx: SimulatedPbx
) -> None:
    await pbx_server(seed, pbx, slug="spare", enabled=False)
    problems, lines = await check(database_url)
    assert (problems, lines) == (
        1,
        [
            "spare  disabled: not checked",
            "no enabled core server to check: the service would connect to none",
        ],
    )
    problems, lines = await check(database_url, "spare")
    assert problems == 0
    assert lines[0] == "spare  disabled (the service does not connect to it): checked all the same"
    assert lines[-1] == "spare  ok: the bridge can do all its work here"


async def test_an_unknown_slug_exits_2(database_url: str, seed: Seed) -> None:
    await seed.core_server("default")
    with pytest.raises(UnknownCoreServer, match="no core server 'nope'"):
        await check(database_url, "nope")
    code, out, err = await bridge("check", "nope", url=database_url)
    assert (code, out, err) == (2, "", "bridge: no core server 'nope'\n")


async def test_an_unset_env_secret_is_named(database_url: str, seed: Seed) -> None:
    await seed.core_server("default", ami_secret="env:BRIDGE_TEST_UNSET_SECRET")
    problems, lines = await check(database_url)
    assert (problems, lines) == (
        1,
        ["default  ami_secret names $BRIDGE_TEST_UNSET_SECRET, which is not set"],
    )


async def test_app_queue_missing_matters_only_with_queues(
    database_url: str, seed: Seed, pbx: SimulatedPbx
) -> None:
    for action in ("QueueStatus", "QueuePause"):
        pbx.fail(action, f"Invalid/unknown command: {action}. Use Action: ListCommands to show")
    server = await pbx_server(seed, pbx)
    problems, lines = await check(database_url)
    assert problems == 0
    assert (
        "default  QueuePause: unknown to this Asterisk (app_queue not loaded);"
        " fine while this core server has no queues"
    ) in lines
    await seed.queue(server, "support")
    problems, lines = await check(database_url)
    assert problems == 2
    assert "default  QueueStatus: unknown to this Asterisk -> load app_queue" in lines


async def test_read_classes_show_when_events_come(
    database_url: str, seed: Seed, pbx: SimulatedPbx
) -> None:
    await pbx_server(seed, pbx)
    problems, lines = await check(database_url)
    assert problems == 0
    assert (
        "default  read 'call': no such event during the check, so not verified -> manager.conf"
        " 'read =' must include it (calls, device states, hints, originate outcomes)"
    ) in lines
    pbx.stall("Ping")
    running = asyncio.create_task(check(database_url))
    async with asyncio.timeout(10):
        await pbx.wait_for_action("Ping", 2)
    pbx.push_event({"Event": "Newstate", "Privilege": "call,all", "Channel": "PJSIP/1-1"})
    pbx.unstall("Ping")
    problems, lines = await running
    assert "default  read 'call' ok (events seen)" in lines
    assert any(line.startswith("default  read 'agent': no such event") for line in lines)


async def test_tls_login(database_url: str, seed: Seed, test_ca: TestCa, tmp_path: Path) -> None:
    async with SimulatedPbx(login_failure_delay=0.01, ssl=test_ca.server_context()) as pbx:
        await pbx_server(seed, pbx, ami_tls=True, ami_tls_ca=str(test_ca.pem))
        problems, lines = await check(database_url)
        assert problems == 0
        assert lines[0].startswith(f"default  login ok as 'bridge' at 127.0.0.1:{pbx.port} (TLS)")
        await seed.sql("UPDATE core_servers SET ami_tls_ca = NULL")
        problems, lines = await check(database_url)
    assert problems == 1
    assert lines[0].startswith(f"default  connect to 127.0.0.1:{pbx.port} (TLS): certificate")


@pytest.mark.parametrize("auth", ["md5", "plain"])
async def test_a_login_in_use_elsewhere_is_named(
    database_url: str, seed: Seed, pbx: SimulatedPbx, auth: str
) -> None:
    # Asterisk's answer to Challenge or Login when allowmultiplelogin = no and the user is on.
    for action in ("Challenge", "Login"):
        pbx.fail(action, "Login Already In Use")
    await pbx_server(seed, pbx, ami_auth=auth)
    problems, lines = await check(database_url)
    assert (problems, lines) == (
        1,
        [
            "default  login as 'bridge': already in use -> this AMI user has allowmultiplelogin"
            " = no in manager.conf and is logged in elsewhere (the service?)"
        ],
    )


async def test_an_action_unanswered_stops_the_tries(
    database_url: str, seed: Seed, pbx: SimulatedPbx
) -> None:
    pbx.stall("DBPut")
    await pbx_server(seed, pbx)
    problems, lines = await check(database_url, within=0.2)
    assert problems == 1
    assert lines[-2:] == [
        "default  DBPut: no answer within 0.2 s; the rest not tried",
        "default  1 problem",
    ]
    assert pbx.action_count("DBDel") == 0


async def test_hostile_names_are_printed_escaped(
    database_url: str, seed: Seed, pbx: SimulatedPbx
) -> None:
    await pbx_server(seed, pbx, slug="main\nfake  line", ami_username="ops\x1b[31m")
    _, lines = await check(database_url)
    assert lines == [
        r"main\x0afake  line  login as 'ops\x1b[31m': authentication failed -> check"
        " ami_username and ami_secret, and the user's permit/deny in manager.conf"
    ]


async def test_each_write_is_refused_for_its_missing_header_as_asterisk_words_it(
    pbx: SimulatedPbx,
) -> None:
    # The texts of main/manager.c, main/db.c and apps/app_queue.c for a missing header.
    expected = {
        "Originate": "Channel not specified",
        "DBPut": "No key specified",
        "DBDel": "No key specified.",
        "Setvar": "No variable specified",
        "QueuePause": "Need 'Interface' and 'Paused' parameters.",
        "Hangup": "No channel specified",
        "BlindTransfer": "No channel specified",
    }
    client = await AmiTestClient.connect(pbx.port)
    answers = {}
    async with asyncio.timeout(5):
        await client.login(Events="off")
        for probe in PROBES:
            if probe.action in expected:
                client.send({**probe.headers, "ActionID": probe.action})
                answer = await client.until("ActionID", probe.action)
                answers[probe.action] = (answer.get("Response"), answer.get("Message"))
    await client.close()
    assert answers == {action: ("Error", text) for action, text in expected.items()}
    assert pbx.astdb == {} and not pbx.channels


async def test_a_class_free_action_denied_names_its_module(
    database_url: str, seed: Seed, pbx: SimulatedPbx
) -> None:
    # Asterisk's answer to an action whose module is registered but not running.
    pbx.fail("QueueStatus", "Permission denied")
    await pbx_server(seed, pbx)
    problems, lines = await check(database_url)
    assert problems == 1
    assert "default  QueueStatus: permission denied to every user -> is app_queue running?" in lines
