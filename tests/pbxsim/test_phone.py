"""Calls between PJSIP phones and the trunk: events, and what the sync actions say mid-call."""

from __future__ import annotations

import asyncio

from bridge.pbxsim import SimulatedPbx
from tests.pbxsim.flows import (
    PJSIP_NAME,
    Watcher,
    assert_channels_consistent,
    assert_shapes_as_captured,
    listed,
    names,
)

# The order of pjsip/phone_to_phone (whose channels test_pjsip_flows compares one by one).
PLACED = [
    "Newchannel", "Newchannel", "NewConnectedLine", "DialBegin", "NewConnectedLine",
    "Newstate", "DeviceStateChange", "DialState", "DeviceStateChange",  # ringing
    "Newstate", "DeviceStateChange", "DialEnd", "Newstate", "BridgeCreate", "BridgeEnter",
    "BridgeEnter",  # answered (the caller's INUSE is no change)
]  # fmt: skip
HUNG_UP = [
    "HangupRequest", "BridgeLeave", "BridgeLeave", "BridgeDestroy", "SoftHangupRequest",
    "Hangup", "Hangup", "DeviceStateChange", "DeviceStateChange",
]  # fmt: skip


async def test_a_phone_calls_a_phone(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.place_call("4224", "4225")
        setup = await watcher.fence()
        channels = await watcher.action("CoreShowChannels")
        devices = await watcher.action("DeviceStateList")
        hints = await watcher.action("ExtensionStateList")
        phones.hangup_call(call)
        teardown = await watcher.fence()
        after = await watcher.action("CoreShowChannels")
    assert names(setup) == PLACED
    assert names(teardown) == HUNG_UP  # device states after the channel events
    caller, callee = call.caller, call.callee
    assert callee is not None and call.bridge is not None
    assert PJSIP_NAME.fullmatch(caller.name) and caller.name.startswith("PJSIP/4224-")
    assert callee.name.startswith("PJSIP/4225-") and callee.linkedid == caller.uniqueid
    begin = next(m for m in setup if m.get("Event") == "DialBegin")
    assert (begin["Channel"], begin["DestChannel"], begin["DialString"]) == (
        caller.name,
        callee.name,
        "4225",
    )
    assert (begin["CallerIDNum"], begin["DestConnectedLineNum"]) == ("4224", "4224")
    # CoreShowChannels mid-call: exactly the two live channels, both in the bridge.
    shown = {m["Channel"]: m for m in listed(channels, "CoreShowChannel")}
    assert set(shown) == {caller.name, callee.name}
    assert {m["BridgeId"] for m in shown.values()} == {call.bridge.uniqueid}
    assert (shown[caller.name]["Application"], shown[callee.name]["Application"]) == (
        "Dial",
        "AppDial",
    )
    assert listed(channels, "CoreShowChannelsComplete")[0]["ListItems"] == "2"
    states = {m["Device"]: m["State"] for m in listed(devices, "DeviceStateChange")}
    assert states["PJSIP/4224"] == states["PJSIP/4225"] == "INUSE"
    assert states["PJSIP/4226"] == "NOT_INUSE"
    texts = {m["Exten"]: m["StatusText"] for m in listed(hints, "ExtensionStatus")}
    assert texts == {"4224": "InUse", "4225": "InUse", "4226": "Idle"}
    assert assert_channels_consistent([*setup, *teardown]) == set()
    assert listed(after, "CoreShowChannel") == [] and phones.channels == []
    assert phones.bridges == [] and phones.phone_calls == []


async def test_list_answers_have_asterisks_layout(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        devices = await watcher.action("DeviceStateList")
        hints = await watcher.action("ExtensionStateList")
    start, *items, complete = devices
    assert start.keys() == ["Response", "ActionID", "EventList", "Message"]
    assert start["Message"] == "Device State Changes will follow"
    assert {tuple(m.keys()) for m in items} == {("Event", "ActionID", "Device", "State")}
    assert complete.keys() == ["Event", "ActionID", "EventList", "ListItems"]
    assert complete["Event"] == "DeviceStateListComplete"
    # the three endpoints, the trunk, and the queue's availability
    assert complete["ListItems"] == str(len(items)) == "5"
    start, *items, complete = hints
    assert start["Message"] == "Extension Statuses will follow"
    assert {tuple(m.keys()) for m in items} == {
        ("Event", "ActionID", "Exten", "Context", "Hint", "Status", "StatusText")
    }
    # in the hint container's order, as pjsip/pjsip_inventory lists them
    expected = [f"PJSIP/{n}&Custom:DND{n}" for n in ("4225", "4224", "4226")]
    assert [m["Hint"] for m in items] == expected
    assert (complete["Event"], complete["ListItems"]) == ("ExtensionStateListComplete", "3")


async def test_a_ringing_call_then_answered_and_ended_by_the_callee(
    phones: SimulatedPbx, watcher: Watcher
) -> None:
    async with asyncio.timeout(5):
        call = phones.place_call("PJSIP/4224", "4225", answer=False)
        ringing = await watcher.fence()
        devices = await watcher.action("DeviceStateList")
        hints = await watcher.action("ExtensionStateList")
        phones.answer(call)
        answered = await watcher.fence()
        assert call.callee is not None
        phones.hangup_call(call, by=call.callee)
        ended = await watcher.fence()
    assert names(ringing) == PLACED[:9]
    states = {m["Device"]: m["State"] for m in listed(devices, "DeviceStateChange")}
    assert (states["PJSIP/4224"], states["PJSIP/4225"]) == ("INUSE", "RINGING")
    texts = {m["Exten"]: m["StatusText"] for m in listed(hints, "ExtensionStatus")}
    assert (texts["4224"], texts["4225"]) == ("InUse", "Ringing")
    assert names(answered) == PLACED[9:]
    assert names(ended)[0] == "HangupRequest"
    first = next(m for m in ended if m.get("Event") == "Hangup")
    assert first["Channel"] == call.callee.name and first["Cause"] == "16"
    assert assert_channels_consistent([*ringing, *answered, *ended]) == set()


async def test_a_caller_gives_up_before_the_answer(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.place_call("4224", "4226", answer=False)
        await watcher.fence()
        phones.hangup_call(call)
        ended = await watcher.fence()
    assert names(ended) == [
        "HangupRequest", "DialEnd", "Hangup", "SoftHangupRequest", "Hangup", "DeviceStateChange",
        "DeviceStateChange",
    ]  # fmt: skip
    request, dial_end = ended[0], next(m for m in ended if m.get("Event") == "DialEnd")
    assert (request["Cause"], request["TechCause"]) == ("127", "487")
    assert dial_end["DialStatus"] == "CANCEL" and phones.channels == []


async def test_outside_numbers_go_through_the_trunk(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.place_call("4225", "18005551234")
        events = await watcher.fence()
        phones.hangup_call(call)
        await watcher.fence()
    assert call.callee is not None and call.callee.name.startswith("PJSIP/trunk-")
    begin = next(m for m in events if m.get("Event") == "DialBegin")
    assert begin["DialString"] == "18005551234@trunk"
    caller_id = next(m for m in events if m.get("Event") == "NewCallerid")
    assert (caller_id["Channel"], caller_id["CallerIDNum"]) == (call.callee.name, "18005551234")


async def test_an_inbound_call_from_the_trunk(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.inbound_call("+15551234", "8005550100", "4226", caller_name="ACME")
        events = await watcher.fence()
        phones.hangup_call(call)
        await watcher.fence()
    new = [m for m in events if m.get("Event") == "Newchannel"]
    assert new[0]["Channel"].startswith("PJSIP/trunk-")
    assert (new[0]["Context"], new[0]["Exten"]) == ("from-trunk", "8005550100")
    assert (new[0]["CallerIDNum"], new[0]["CallerIDName"]) == ("+15551234", "ACME")
    assert new[1]["Channel"].startswith("PJSIP/4226-")
    line = [m for m in events if m.get("Event") == "NewConnectedLine"]
    assert line[0]["ConnectedLineNum"] == "+15551234"  # the phone shows who calls
    assert (line[1]["Channel"], line[1]["ConnectedLineName"]) == (new[0]["Channel"], "Sam K")


async def test_the_hangup_action_ends_a_call(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.place_call("4224", "4225")
        await watcher.fence()
        assert call.callee is not None
        answer = await watcher.action("Hangup", Channel=call.callee.name)
    assert answer[0]["Message"] == "Channel Hungup"
    # The called leg hung up by the action: no request event (pjsip/originate_to_phone hangs
    # up the calling one: its SoftHangupRequest comes after it left the bridge).
    assert names(answer[1:]) == [n for n in HUNG_UP if "Request" not in n]
    assert phones.channels == [] and phones.phone_calls == []


async def test_event_layouts_are_the_captured_ones(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.place_call("4224", "4225")
        phones.hangup_call(call)
        inbound = phones.inbound_call("5551234", "8005550100", "4224")
        phones.hangup_call(inbound, by=inbound.callee)
        events = await watcher.fence()
    # A phone's BYE raises HangupRequest without Cause (ast_queue_hangup, cause 0); the
    # captures only show Local channels' requests, which always carry one.
    assert assert_shapes_as_captured(events, skip={"HangupRequest"}) > 40
