"""AmiLink against the simulated PBX over a real socket: state, back-off, refused logins,
heartbeat, timeouts, drops, and handlers that cannot kill the link."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bridge.ami.link import LinkState
from bridge.ami.protocol import Message
from bridge.errors import AmiActionFailed, AmiTimeout, AmiUnavailable, InvalidValue
from bridge.pbxsim import SimulatedPbx
from bridge.settings import AmiSettings
from tests.ami.links import FAST, LOST, OK, LinkFactory, Recorder, until


async def test_logs_in_and_runs_actions(pbx: SimulatedPbx, make_link: Any) -> None:
    recorder = Recorder()
    link = make_link(recorder=recorder)
    assert await until(link, OK) is OK
    assert recorder.states[:2] == [LinkState.CONNECTING, OK]
    login = pbx.actions("Login")[0].message
    assert (login["Username"], login["AuthType"], login["Events"]) == ("bridge", "MD5", "on")
    reply = await link.send({"Action": "DBPut", "Family": "F", "Key": "k", "Val": "Zoë"})
    assert reply.response["Response"] == "Success"
    reply = await link.send({"Action": "DBGet", "Family": "F", "Key": "k"}, expect_list=True)
    assert [e["Val"] for e in reply.events if e.get("Event") == "DBGetResponse"] == ["Zoë"]
    with pytest.raises(AmiActionFailed) as failed:
        await link.send({"Action": "DBGet", "Family": "F", "Key": "nope"}, expect_list=True)
    assert failed.value.details["amiMessage"] == "Database entry not found"
    assert any(e.get("Event") == "FullyBooted" for e in recorder.events)


async def test_refused_logins_are_capped(pbx: SimulatedPbx, make_link: Any) -> None:
    link = make_link(secret="wrong")
    assert await until(link, LinkState.LOGIN_FAILED) is LinkState.LOGIN_FAILED
    assert pbx.failed_logins == 3
    # no more attempts: it waits login_retry_interval (a minute here) before one more
    await asyncio.sleep(0.3)
    assert pbx.login_attempts == 3
    with pytest.raises(AmiUnavailable) as refused:
        await link.send({"Action": "Ping"})
    assert refused.value.details["amiStatus"] == "loginFailed"


async def test_one_retry_per_interval_after_the_cap(pbx: SimulatedPbx, make_link: Any) -> None:
    settings = AmiSettings(**{**_fields(FAST), "login_retry_interval": 0.2})
    link = make_link(settings=settings, secret="wrong")
    await until(link, LinkState.LOGIN_FAILED)
    async with asyncio.timeout(5):
        await pbx.wait_until(lambda: pbx.failed_logins >= 5)
    assert link.state in (LinkState.LOGIN_FAILED, LinkState.CONNECTING)


def _fields(settings: AmiSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}


async def test_reconnects_by_itself_with_back_off(pbx: SimulatedPbx, make_link: Any) -> None:
    link = make_link()
    await until(link, OK)
    await pbx.stop()
    await until(link, LOST, LinkState.CONNECTING)
    with pytest.raises(AmiUnavailable):
        await link.send({"Action": "Ping"})
    await pbx.start()
    await until(link, OK)
    assert pbx.login_attempts == 2
    assert (await link.send({"Action": "Ping"})).response["Ping"] == "Pong"


async def test_heartbeat_drops_a_half_open_link(pbx: SimulatedPbx, make_link: Any) -> None:
    settings = AmiSettings(**{**_fields(FAST), "heartbeat_interval": 0.05})
    link = make_link(settings=settings)
    await until(link, OK)
    pbx.stall("Ping", block_session=True)  # the socket stays open but nothing answers
    async with asyncio.timeout(5):
        await pbx.wait_for_logins(2)
    pbx.unstall("Ping")
    await until(link, OK)
    assert pbx.action_count("Ping") >= 2


async def test_a_stalled_action_times_out_and_is_forgotten(
    pbx: SimulatedPbx, make_link: Any
) -> None:
    link = make_link()
    await until(link, OK)
    pbx.stall("DBPut")
    with pytest.raises(AmiTimeout):
        await link.send({"Action": "DBPut", "Family": "F", "Key": "k", "Val": "v"})
    protocol = link._protocol
    assert protocol is not None and protocol.responses == {}
    pbx.unstall("DBPut")  # the late answer has nowhere to go and harms nothing
    assert (await link.send({"Action": "Ping"})).response["Response"] == "Success"


async def test_a_drop_fails_pending_actions_and_resends_nothing(
    pbx: SimulatedPbx, make_link: Any
) -> None:
    link = make_link()
    await until(link, OK)
    pbx.stall("Originate")
    pending = asyncio.create_task(
        link.send(
            {
                "Action": "Originate",
                "Channel": "PJSIP/1",
                "Exten": "2",
                "Context": "c",
                "Priority": "1",
                "Async": "true",
            }
        )
    )
    async with asyncio.timeout(5):
        await pbx.wait_for_action("Originate")
    pbx.drop_connections()
    with pytest.raises(AmiUnavailable) as dropped:
        await pending
    assert dropped.value.error_id == "ami-disconnected"
    assert link.state is not OK
    pbx.unstall("Originate")
    async with asyncio.timeout(5):
        await pbx.wait_for_logins(2)
    await until(link, OK)
    assert (await link.send({"Action": "Ping"})).response["Response"] == "Success"
    assert pbx.action_count("Originate") == 1


async def test_an_event_handler_that_raises_cannot_kill_the_link(
    pbx: SimulatedPbx, make_link: Any
) -> None:
    seen: list[str] = []

    def handler(message: Message) -> None:
        seen.append(message.get("Event") or "")
        raise RuntimeError("a bug in a handler")

    link = make_link(on_event=handler)
    await until(link, OK)
    pbx.push_event([("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", "x")])
    assert (await link.send({"Action": "Ping"})).response["Response"] == "Success"
    assert "UserEvent" in seen and link.state is OK


async def test_utf8_split_across_reads_survives(pbx: SimulatedPbx, make_link: Any) -> None:
    recorder = Recorder()
    link = make_link(recorder=recorder)
    await until(link, OK)
    protocol = link._protocol
    assert protocol is not None
    raw = "Event: UserEvent\r\nName: Zoë 日本\r\n\r\n".encode()
    cut = raw.index("ë".encode()) + 1  # in the middle of the two bytes of ë
    protocol.data_received(raw[:cut])
    protocol.data_received(raw[cut:])
    assert recorder.events[-1]["Name"] == "Zoë 日本"


async def test_line_breaks_never_reach_the_socket(pbx: SimulatedPbx, make_link: Any) -> None:
    link = make_link()
    await until(link, OK)
    for bad in (
        {"Action": "DBPut", "Family": "F\r\nAction: Hangup"},
        {"Action": "Ping", "X\nY": "z"},
        {"Action": "Ping", "X": "a\0b"},
    ):
        with pytest.raises(InvalidValue):
            await link.send(bad)
    assert pbx.action_count("Hangup") == pbx.action_count("DBPut") == 0


async def test_close_logs_off_and_is_final(pbx: SimulatedPbx, make_link: Any) -> None:
    link = make_link()
    await until(link, OK)
    await link.close()
    assert link.state is LOST
    assert pbx.action_count("Logoff") == 1
    async with asyncio.timeout(5):
        await pbx.wait_for_sessions(0)
    await asyncio.sleep(0.1)
    assert pbx.login_attempts == 1  # it never came back


async def test_unreachable_server_backs_off(make_link: Any, pbx: SimulatedPbx) -> None:
    await pbx.stop()
    recorder = Recorder()
    make_link(recorder=recorder)
    await asyncio.sleep(0.3)
    attempts = recorder.states.count(LinkState.CONNECTING)
    # the delay doubles from 0.01 s to at most 0.05 s: a handful of tries, not a busy loop
    assert 2 <= attempts <= 30


async def test_a_connection_dropped_before_the_login_answer_is_no_refusal() -> None:
    """A host that accepts and closes (a proxy, a port that is not AMI, Asterisk restarting)
    says nothing about the secret: the link retries with back-off and never counts it as a
    refused login (which would end in loginFailed and a wait of login_retry_interval)."""
    accepted = 0

    async def accept_and_close(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(accept_and_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    factory = LinkFactory(lambda: port)
    recorder = Recorder()
    try:
        link = factory(settings=FAST, recorder=recorder)
        async with asyncio.timeout(5):
            await recorder.attempts_ended(5)
        assert LinkState.LOGIN_FAILED not in recorder.states
        assert link.state is not LinkState.LOGIN_FAILED and accepted >= 5
    finally:
        await factory.close()
        server.close()
        await server.wait_closed()
