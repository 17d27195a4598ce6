"""Originated calls: the events of a real call, in kind where the captures' order varies."""

from __future__ import annotations

import asyncio
from collections import Counter

from bridge.ami.protocol import AmiParser, Message, encode
from bridge.pbxsim import SimulatedPbx
from tests.captures import load, normalise
from tests.pbxsim.client import AmiTestClient

Shape = tuple[str | None, tuple[str, ...]]
ORIGINATE = {
    "Action": "Originate",
    "ActionID": "orig-1",
    "Channel": "Local/4224@internal",
    "Context": "internal",
    "Exten": "18005555555",
    "Priority": "1",
    "Async": "true",
    "CallerID": "Michael Y <4224>",
}


def shape(message: Message) -> Shape:
    return message.name, tuple(message.keys())


def captured_after(name: str, action_id: str, until: str) -> list[Message]:
    """The server messages of a capture from the response to ``action_id`` to ``until``."""
    messages = AmiParser().feed(load(name).server_bytes)
    start = next(i for i, m in enumerate(messages) if m.get("ActionID") == action_id)
    end = next(i for i, m in enumerate(messages) if i > start and m.get("ActionID") == until)
    return messages[start:end]


async def burst(client: AmiTestClient, request: dict[str, str]) -> list[Message]:
    """Send ``request`` and a Ping; everything before the Ping's answer."""
    client.send(request)
    client.send({"Action": "Ping", "ActionID": "fence"})
    messages = []
    while (message := await client.message()).get("ActionID") != "fence" or "Event" in message:
        messages.append(message)
    return messages


async def logged_in(pbx: SimulatedPbx) -> AmiTestClient:
    client = await AmiTestClient.connect(pbx.port)
    await client.login()
    await client.until("Event", "SuccessfulAuth")
    return client


async def test_async_originate_gives_the_captured_events(pbx: SimulatedPbx) -> None:
    pbx.originate.duration = None
    client = await logged_in(pbx)
    async with asyncio.timeout(5):
        got = await burst(client, ORIGINATE)
    await client.close()
    captured = captured_after("originate_success", "orig-1", "logoff-1")
    assert [shape(m) for m in got[:1]] == [shape(captured[0])]  # the Response comes first
    assert not Counter(map(shape, captured)) - Counter(map(shape, got))
    # The lab's Answer() took 0.5 s before ;2 went on to Wait(30): after the capture's Logoff.
    extra = Counter(map(shape, got)) - Counter(map(shape, captured))
    assert list(extra.elements()) == [shape(got[-1])]
    assert (got[-1]["Channel"][-2:], got[-1]["Application"], got[-1]["AppData"]) == (
        ";2",
        "Wait",
        "30",
    )
    response = next(m for m in got if m.get("Event") == "OriginateResponse")
    assert (response["ActionID"], response["Response"], response["Reason"]) == (
        "orig-1",
        "Success",
        "4",
    )
    first = next(m for m in got if m.get("Event") == "Newchannel")
    assert response["Uniqueid"] == first["Uniqueid"] == first["Linkedid"]
    assert response["Channel"] == first["Channel"] and first["Channel"].endswith(";1")


async def test_sync_originate_answers_first_and_reports_no_originate_response(
    pbx: SimulatedPbx,
) -> None:
    pbx.originate.duration = None
    client = await logged_in(pbx)
    request = dict(ORIGINATE, ActionID="orig-sync", Channel="Local/1001@internal", Async="false")
    request["Exten"] = "18005550001"
    async with asyncio.timeout(5):
        got = await burst(client, request)
    await client.close()
    captured = captured_after("originate_sync_success", "orig-sync", "logoff-1")
    assert normalise(_text(got[:1])) == normalise(_text(captured[:1]))
    assert not [m for m in got if m.get("Event") == "OriginateResponse"]
    extra = Counter(map(shape, got)) - Counter(map(shape, captured))
    assert not Counter(map(shape, captured)) - Counter(map(shape, got))
    assert list(extra.elements()) == [shape(got[-1])] and got[-1]["AppData"] == "30"


async def test_core_show_channels_lists_the_live_call(pbx: SimulatedPbx) -> None:
    pbx.originate.duration = None
    captured = AmiParser().feed(load("core_show_channels").server_bytes)
    client = await logged_in(pbx)
    async with asyncio.timeout(5):
        idle = await burst(client, {"Action": "CoreShowChannels", "ActionID": "csc-idle"})
        call = await burst(client, ORIGINATE)
        listed = await burst(client, {"Action": "CoreShowChannels", "ActionID": "csc-call"})
    await client.close()
    assert normalise(_text(idle)) == normalise(_text(captured_after_id(captured, "csc-idle")))
    call_events = captured_after("core_show_channels", "orig-1", "csc-call")
    assert Counter(map(shape, call)) == Counter(map(shape, call_events))
    assert normalise(_text(listed)) == normalise(_text(captured_after_id(captured, "csc-call")))
    pbx.hangup()
    assert pbx.channels == [] and pbx.calls == []


def captured_after_id(messages: list[Message], action_id: str) -> list[Message]:
    return [m for m in messages if m.get("ActionID") == action_id]


def _text(messages: list[Message]) -> bytes:
    return b"".join(encode(m) for m in messages)


async def test_call_hangs_up_after_its_duration_with_the_captured_burst(pbx: SimulatedPbx) -> None:
    pbx.originate.duration = 0.01
    client = await logged_in(pbx)
    async with asyncio.timeout(5):
        await burst(client, ORIGINATE)
        assert len(pbx.calls) == 1
        await pbx.wait_until(lambda: not pbx.calls)
        tail = [await client.message() for _ in range(10)]
    await client.close()
    captured = AmiParser().feed(load("call_event_stream").server_bytes)
    start = next(i for i, m in enumerate(captured) if m.get("Application") == "Hangup")
    assert [shape(m) for m in tail] == [shape(m) for m in captured[start : start + 10]]
    assert pbx.channels == []


async def test_hangup_hook_and_action_end_a_call_that_stays_up(pbx: SimulatedPbx) -> None:
    pbx.originate.duration = None
    client = await logged_in(pbx)
    async with asyncio.timeout(5):
        await burst(client, ORIGINATE)
        await burst(client, dict(ORIGINATE, ActionID="orig-2"))
        first, second = pbx.calls
        assert pbx.hangup(first.channels[1].uniqueid) == 1
        assert pbx.calls == [second]
        hangup = {"Action": "Hangup", "ActionID": "h", "Channel": second.channels[0].name}
        answers = await burst(client, hangup)
        missing = await burst(client, hangup)
    await client.close()
    [response] = [m for m in answers if m.get("ActionID") == "h"]
    assert response["Message"] == "Channel Hungup"
    assert [m.get("Event") for m in answers].count("Hangup") == 4  # both calls' two halves
    assert (missing[0]["Response"], missing[0]["Message"]) == ("Error", "No such channel")
    assert pbx.calls == [] and pbx.channels == []


async def test_tests_decide_which_originates_fail(pbx: SimulatedPbx) -> None:
    client = await logged_in(pbx)
    pbx.originate.failing_channels.add("Local/4225@internal")
    async with asyncio.timeout(5):
        failed = await burst(client, dict(ORIGINATE, Channel="Local/4225@internal"))
        pbx.originate.result = lambda request: 5 if request["Exten"] == "busy" else 4
        busy = await burst(client, dict(ORIGINATE, Exten="busy"))
        answered = await burst(client, ORIGINATE)
        sync_failed = await burst(client, dict(ORIGINATE, Exten="busy", Async="no"))
    await client.close()
    assert failed[0]["Message"] == "Originate successfully queued"
    reasons = [_originate_response(m) for m in (failed, busy, answered)]
    assert reasons == [("Failure", "0"), ("Failure", "5"), ("Success", "4")]
    assert (sync_failed[0]["Response"], sync_failed[0]["Message"]) == ("Error", "Originate failed")
    assert not [m for m in sync_failed if m.get("Event") == "OriginateResponse"]


def _originate_response(messages: list[Message]) -> tuple[str, str]:
    [response] = [m for m in messages if m.get("Event") == "OriginateResponse"]
    return response["Response"], response["Reason"]


async def test_other_technologies_get_one_channel(pbx: SimulatedPbx) -> None:
    pbx.originate.duration = None
    client = await logged_in(pbx)
    async with asyncio.timeout(5):
        answered = await burst(client, dict(ORIGINATE, Channel="PJSIP/4224"))
        pbx.originate.failing_channels.add("PJSIP/4225")
        failed = await burst(client, dict(ORIGINATE, Channel="PJSIP/4225"))
    await client.close()
    [channel] = pbx.channels
    assert channel.name.startswith("PJSIP/4224-") and channel.state == 6
    assert _originate_response(answered) == ("Success", "4")
    assert [m.name for m in failed] == ["Success", "OriginateResponse"]
    assert failed[1]["Channel"] == "PJSIP/4225" and failed[1]["Uniqueid"] == "<unknown>"


async def test_originate_response_goes_to_every_session_with_call_events(pbx: SimulatedPbx) -> None:
    origin = await logged_in(pbx)
    quiet = await AmiTestClient.connect(pbx.port)
    await quiet.login(Events="off")
    watcher = await logged_in(pbx)
    async with asyncio.timeout(5):
        await burst(origin, ORIGINATE)
        seen = await watcher.until("Event", "OriginateResponse")
        quiet_saw = await burst(quiet, {"Action": "Ping", "ActionID": "quiet"})
    for client in (origin, quiet, watcher):
        await client.close()
    assert seen["ActionID"] == "orig-1"
    # Events: off: nothing but its own answers (no call events, no OriginateResponse).
    assert [m.get("ActionID") for m in quiet_saw] == ["quiet"]


async def test_a_call_on_a_hinted_local_device_changes_the_hint(pbx: SimulatedPbx) -> None:
    pbx.originate.duration = None
    client = await logged_in(pbx)
    async with asyncio.timeout(5):
        events = await burst(client, dict(ORIGINATE, Channel="Local/1000@internal"))
        pbx.hangup()
        after = await burst(
            client, {"Action": "ExtensionState", "Exten": "1000", "Context": "internal"}
        )
    await client.close()
    [status] = [m for m in events if m.get("Event") == "ExtensionStatus"]
    assert (status["Exten"], status["Hint"], status["StatusText"]) == (
        "1000",
        "Local/1000@internal",
        "InUse",
    )
    [idle] = [m for m in after if m.get("Event") == "ExtensionStatus"]
    assert idle["StatusText"] == "Idle" and after[-1]["StatusText"] == "Idle"
