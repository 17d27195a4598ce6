"""The scripting hooks tests use on the simulated PBX."""

from __future__ import annotations

import asyncio

import pytest

from bridge.pbxsim import AmiUser, SimulatedPbx
from tests.pbxsim.client import AmiTestClient

DBPUT = {"Action": "DBPut", "ActionID": "put", "Family": "DND", "Key": "4224", "Val": "YES"}
PING = {"Action": "Ping", "ActionID": "ping"}


async def logged_in(pbx: SimulatedPbx, **extra: str) -> AmiTestClient:
    client = await AmiTestClient.connect(pbx.port)
    assert (await client.login(**extra))["Response"] == "Success"
    return client


async def test_every_action_is_recorded_with_its_bytes_and_session(pbx: SimulatedPbx) -> None:
    first = await logged_in(pbx)
    second = await logged_in(pbx)
    async with asyncio.timeout(5):
        second.writer.write(b"Action: dbput\r\nFamily: DND\nKey: 4224\r\nVal: Zo\xc3\xab\r\n\r\n")
        record = await pbx.wait_for_action("DBPut")
        first.send(PING)
        await first.until("ActionID", "ping")
    for client in (first, second):
        await client.close()
    assert record.raw == b"Action: dbput\r\nFamily: DND\nKey: 4224\r\nVal: Zo\xc3\xab\r\n\r\n"
    assert (record.session, record.name, record.message["Val"]) == (2, "dbput", "Zoë")
    assert [r.name for r in pbx.actions()] == ["Login", "Login", "dbput", "Ping"]
    assert pbx.action_count("DBPUT") == 1 and pbx.action_count("Originate") == 0
    assert [r.session for r in pbx.actions("login")] == [1, 2]
    assert pbx.astdb == {"/DND/4224": "Zoë"}


async def test_a_stalled_action_is_read_but_answered_only_when_released(pbx: SimulatedPbx) -> None:
    client = await logged_in(pbx)
    pbx.stall("DBPut")
    async with asyncio.timeout(5):
        client.send(DBPUT)
        client.send(PING)
        assert (await client.until("Response", "Success"))["ActionID"] == "ping"
        assert pbx.action_count("DBPut") == 1 and pbx.astdb == {}
        pbx.unstall("DBPut")
        assert (await client.message())["ActionID"] == "put"
    await client.close()
    assert pbx.astdb == {"/DND/4224": "YES"}


async def test_a_stall_can_block_the_whole_session(pbx: SimulatedPbx) -> None:
    client = await logged_in(pbx)
    pbx.stall("DBPut", block_session=True)
    async with asyncio.timeout(5):
        client.send(DBPUT)
        await pbx.wait_for_action("DBPut")
        client.send(PING)
        other = await logged_in(pbx)  # other sessions are not held
        other.send(PING)
        await other.until("ActionID", "ping")
        pbx.unstall("DBPut")
        answers = [(await client.until("Response", "Success"))["ActionID"] for _ in range(2)]
    for each in (client, other):
        await each.close()
    assert answers == ["put", "ping"]


async def test_an_action_can_be_answered_with_an_error(pbx: SimulatedPbx) -> None:
    client = await logged_in(pbx)
    pbx.fail("DBPut", "Failed to update entry", times=1)
    async with asyncio.timeout(5):
        client.send(DBPUT)
        failed = await client.until("ActionID", "put")
        client.send(DBPUT)
        worked = await client.until("ActionID", "put")
        pbx.fail("Ping")
        client.send(PING)
        always = await client.until("ActionID", "ping")
        pbx.unfail("Ping")
        client.send(PING)
        again = await client.until("ActionID", "ping")
    await client.close()
    assert (failed["Response"], failed["Message"]) == ("Error", "Failed to update entry")
    assert worked["Response"] == "Success" and pbx.astdb == {"/DND/4224": "YES"}
    assert (always["Response"], always["Message"]) == ("Error", "Simulated failure")
    assert again["Ping"] == "Pong"


async def test_refused_logins_fail_like_a_wrong_secret_and_are_counted(pbx: SimulatedPbx) -> None:
    pbx.refuse_logins = True
    client = await AmiTestClient.connect(pbx.port)
    async with asyncio.timeout(5):
        answer = await client.login()
        assert await client.closed()
    await client.close()
    assert (answer["Response"], answer["Message"]) == ("Error", "Authentication failed")
    assert (pbx.login_attempts, pbx.failed_logins) == (1, 1)
    pbx.refuse_logins = False
    again = await logged_in(pbx)
    await again.close()
    assert (pbx.login_attempts, pbx.failed_logins) == (2, 1)


async def test_dropped_connections_end_at_once_and_new_ones_are_accepted(pbx: SimulatedPbx) -> None:
    clients = [await logged_in(pbx) for _ in range(2)]
    async with asyncio.timeout(5):
        await pbx.wait_for_sessions(2)
        assert pbx.drop_connections() == 2
        for client in clients:
            assert await client.closed()
        await pbx.wait_for_sessions(0, logged_in=False)
        again = await logged_in(pbx)
    for client in [*clients, again]:
        await client.close()


async def test_a_paused_listener_refuses_connections_while_sessions_go_on(
    pbx: SimulatedPbx,
) -> None:
    client = await logged_in(pbx)
    port = pbx.port
    pbx.pause()
    with pytest.raises(ConnectionRefusedError):
        await AmiTestClient.connect(port)
    async with asyncio.timeout(5):
        client.send(PING)
        assert (await client.until("ActionID", "ping"))["Ping"] == "Pong"
        await pbx.resume()
        again = await logged_in(pbx)
    assert pbx.port == port
    for each in (client, again):
        await each.close()


async def test_stop_and_start_again_on_the_same_port(pbx: SimulatedPbx) -> None:
    client = await logged_in(pbx)
    port = pbx.port
    await pbx.stop()
    async with asyncio.timeout(5):
        assert await client.closed()
    with pytest.raises(ConnectionRefusedError):
        await AmiTestClient.connect(port)
    await pbx.start()
    again = await logged_in(pbx)
    assert pbx.port == port
    for each in (client, again):
        await each.close()


async def test_pushed_events_reach_sessions_by_events_and_read_permission(
    pbx: SimulatedPbx,
) -> None:
    pbx.users["reader"] = AmiUser("reader", "pw", read=frozenset({"system"}))
    full = await logged_in(pbx)
    quiet = await logged_in(pbx, Events="off")
    system_only = await logged_in(pbx, username="reader", secret="pw")
    async with asyncio.timeout(5):
        count = pbx.push_event({"Event": "Newstate", "Privilege": "call,all", "Channel": "X"})
        system = pbx.push_event([("Event", "Reload"), ("Privilege", "system,all")])
        seen = await full.until("Event", "Newstate")
        reloads = [await c.until("Event", "Reload") for c in (full, system_only)]
        for client in (quiet, system_only):
            client.send(PING)
            answer = await client.until("ActionID", "ping")
            assert answer["Response"] == "Success"
    for client in (full, quiet, system_only):
        await client.close()
    assert (count, system) == (1, 2)
    assert seen["Channel"] == "X" and len(reloads) == 2


async def test_events_mask_and_write_permission_of_a_user(pbx: SimulatedPbx) -> None:
    pbx.users["caller"] = AmiUser("caller", "pw", write=frozenset({"call"}))
    client = await AmiTestClient.connect(pbx.port)
    async with asyncio.timeout(5):
        await client.login(username="caller", secret="pw", Events="call")
        client.send(DBPUT)
        denied = await client.message()  # no FullyBooted, no SuccessfulAuth: not in "call"
        pbx.set_device_state("Custom:DND4224", "BUSY")
        status = await client.message()
    await client.close()
    assert (denied["ActionID"], denied["Message"]) == ("put", "Permission denied")
    assert (status["Event"], status["StatusText"]) == ("ExtensionStatus", "Busy")
    assert pbx.device_states == {"Custom:DND4224": "BUSY"}
    assert pbx.astdb == {"/CustomDevstate/DND4224": "BUSY"}


async def test_security_events_of_one_session_reach_the_others(pbx: SimulatedPbx) -> None:
    watcher = await logged_in(pbx)
    await watcher.until("Event", "SuccessfulAuth")
    other = await logged_in(pbx)
    async with asyncio.timeout(5):
        auth = await watcher.until("Event", "SuccessfulAuth")
        other.send({"Action": "NoSuchAction"})
        bad = await watcher.until("Event", "RequestBadFormat")
        unknown = await other.until("Response", "Error")
        other.writer.write(b"\r\n")  # a blank line alone is a request without Action
        missing = await other.until("Response", "Error")
    for client in (watcher, other):
        await client.close()
    assert auth["SessionID"] == bad["SessionID"] != ""
    assert bad["RequestType"] == "Action: NoSuchAction"
    assert unknown["Message"].startswith("Invalid/unknown command: NoSuchAction.")
    assert missing["Message"] == "Missing action in request"


async def test_a_connection_that_never_logs_in_is_closed() -> None:
    async with SimulatedPbx(auth_timeout=0.05) as pbx:
        idle = await AmiTestClient.connect(pbx.port)
        active = await logged_in(pbx)
        async with asyncio.timeout(5):
            assert await idle.closed()
            await pbx.wait_for_sessions(1, logged_in=False)
            active.send(PING)
            assert (await active.until("ActionID", "ping"))["Ping"] == "Pong"
        for client in (idle, active):
            await client.close()


async def test_waits_wake_on_changes(pbx: SimulatedPbx) -> None:
    waiting = asyncio.ensure_future(pbx.wait_for_action("Ping", count=2))
    client = await logged_in(pbx)
    async with asyncio.timeout(5):
        await pbx.wait_for_logins(1)
        client.send(PING)
        await client.until("ActionID", "ping")
        assert not waiting.done()
        client.send(PING)
        record = await waiting
        client.send({"Action": "Logoff"})
        await pbx.wait_for_sessions(0)
    await client.close()
    assert record == pbx.actions("Ping")[1]


@pytest.mark.parametrize(
    ("write", "allowed", "denied"),
    [
        # Any one of an action's classes lets it run (manager.c: writeperm & authority).
        ({"reporting"}, {"DBGet", "CoreShowChannels", "CoreSettings"}, {"DBPut", "Originate"}),
        ({"call"}, {"Hangup", "Setvar", "Getvar"}, {"DBGet", "QueuePause", "DBDel"}),
        ({"system"}, {"DBPut", "Hangup", "CoreSettings"}, {"Setvar", "BlindTransfer"}),
        # Registered with no class: every logged-in user.
        (set(), {"Ping", "QueueStatus", "QueueSummary"}, {"Getvar", "ExtensionStateList"}),
    ],
)
async def test_write_classes_decide_each_action_as_asterisk_does(
    pbx: SimulatedPbx, write: set[str], allowed: set[str], denied: set[str]
) -> None:
    pbx.users["limited"] = AmiUser("limited", "pw", write=frozenset(write))
    client = await AmiTestClient.connect(pbx.port)
    answers = {}
    async with asyncio.timeout(5):
        await client.login(username="limited", secret="pw", Events="off")
        for action in sorted(allowed | denied):
            client.send({"Action": action, "ActionID": action})
            answer = await client.until("ActionID", action)
            answers[action] = answer.get("Message") == "Permission denied"
    await client.close()
    assert answers == {action: action in denied for action in allowed | denied}
    assert pbx.astdb == {}  # the actions were sent without the headers that would write
