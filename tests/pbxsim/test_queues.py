"""Calls through queues and dynamic queue members on the simulated PBX."""

from __future__ import annotations

import asyncio

import pytest

from bridge.ami.protocol import Message
from bridge.pbxsim import QueueMember, SimulatedPbx
from bridge.pbxsim.members import member_available
from tests.pbxsim.flows import (
    Watcher,
    assert_channels_consistent,
    assert_shapes_as_captured,
    listed,
    names,
)

QUEUE_EVENTS = frozenset({
    "QueueCallerJoin", "AgentCalled", "DialBegin", "DialEnd", "QueueCallerLeave", "AgentConnect",
    "BridgeEnter", "AgentComplete", "QueueCallerAbandon",
})  # fmt: skip


def queue_names(messages: list[Message]) -> list[str]:
    return [n for n in names(messages) if n in QUEUE_EVENTS]


async def test_a_call_answered_by_a_queue_member(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.queue_call("5551234", "sales", "PJSIP/4225", did="8005550200")
        setup = await watcher.fence()
        status = await watcher.action("QueueStatus", Queue="sales")
        channels = await watcher.action("CoreShowChannels")
        phones.hangup_call(call)
        ended = await watcher.fence()
        after = await watcher.action("QueueStatus", Queue="sales", Member="PJSIP/4225")
    # ringall: both members ring (4225 first: app_queue's member order), 4225 answers and
    # 4224's leg is cancelled twice, as pjsip/did_to_queue shows
    assert queue_names(setup) == [
        "QueueCallerJoin", "AgentCalled", "DialBegin", "AgentCalled", "DialBegin", "DialEnd",
        "DialEnd", "DialEnd", "QueueCallerLeave", "AgentConnect", "BridgeEnter", "BridgeEnter",
    ]  # fmt: skip
    agent = call.callee
    assert agent is not None and agent.name.startswith("PJSIP/4225-")
    called = [m for m in setup if m.get("Event") == "AgentCalled"]
    assert [(m["Interface"], m["MemberName"]) for m in called] == [
        ("PJSIP/4225", "Anna B"),
        ("PJSIP/4224", "Michael Y"),
    ]
    assert (called[0]["Channel"], called[0]["DestChannel"]) == (call.caller.name, agent.name)
    ends = [(m["DestChannel"][:10], m["DialStatus"]) for m in setup if m.get("Event") == "DialEnd"]
    assert ends == [("PJSIP/4225", "ANSWER"), ("PJSIP/4224", "CANCEL"), ("PJSIP/4224", "CANCEL")]
    [loser] = [m for m in setup if m.get("Event") == "Hangup"]
    assert (loser["Channel"][:10], loser["Cause"]) == ("PJSIP/4224", "26")  # answered elsewhere
    statuses = [
        (m["Interface"], m["Status"], m["InCall"])
        for m in setup
        if m.get("Event") == "QueueMemberStatus"
    ]
    assert statuses == [
        ("PJSIP/4225", "6", "0"),  # both ring
        ("PJSIP/4224", "6", "0"),
        ("PJSIP/4225", "2", "1"),  # in use, seen after AgentConnect
        ("PJSIP/4224", "1", "0"),  # idle again
    ]
    [params] = listed(status, "QueueParams")
    members = {m["Location"]: m for m in listed(status, "QueueMember")}
    assert params["Calls"] == "0"
    assert (members["PJSIP/4225"]["InCall"], members["PJSIP/4225"]["Status"]) == ("1", "2")
    assert members["PJSIP/4224"]["InCall"] == "0"
    shown = {m["Channel"]: m for m in listed(channels, "CoreShowChannel")}
    assert shown[call.caller.name]["Application"] == "Queue"
    assert shown[agent.name]["Application"] == "AppQueue"
    assert queue_names(ended) == ["AgentComplete"]
    complete = next(m for m in ended if m.get("Event") == "AgentComplete")
    assert complete["Reason"] == "caller"
    [final] = [m for m in ended if m.get("Event") == "QueueMemberStatus"]
    assert (final["Status"], final["CallsTaken"], final["InCall"]) == ("1", "1", "0")
    [member] = listed(after, "QueueMember")
    assert (member["CallsTaken"], member["InCall"]) == ("1", "0")
    assert listed(after, "QueueParams")[0]["Completed"] == "1"
    assert assert_channels_consistent([*setup, *ended]) == set()


async def test_a_caller_waits_then_abandons(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.queue_call("4226", "sales", "PJSIP/4224", answer=False)
        waiting = await watcher.fence()
        status = await watcher.action("QueueStatus", Queue="sales")
        summary = await watcher.action("QueueSummary", Queue="sales")
        phones.hangup_call(call)
        ended = await watcher.fence()
        after = await watcher.action("QueueStatus", Queue="sales")
    assert call.caller.name.startswith("PJSIP/4226-")  # an internal caller, extension 5000
    assert (call.caller.context, call.caller.exten) == ("from-internal", "5000")
    # both members ring
    assert queue_names(waiting) == [
        "QueueCallerJoin", "AgentCalled", "DialBegin", "AgentCalled", "DialBegin",
    ]  # fmt: skip
    queue_state = [m["State"] for m in waiting if m.get("Device") == "Queue:sales"]
    assert queue_state == ["RINGING"]
    assert listed(status, "QueueParams")[0]["Calls"] == "1"
    [entry] = listed(status, "QueueEntry")
    assert (entry["Channel"], entry["Position"], entry["CallerIDNum"]) == (
        call.caller.name,
        "1",
        "4226",
    )
    assert listed(summary, "QueueSummary")[0]["Callers"] == "1"
    assert queue_names(ended) == [
        "DialEnd", "DialEnd", "QueueCallerAbandon", "QueueCallerLeave",
    ]  # fmt: skip
    assert listed(after, "QueueParams")[0]["Abandoned"] == "1"
    assert listed(after, "QueueEntry") == []
    assert assert_channels_consistent([*waiting, *ended]) == set()


async def test_the_agent_hangs_up_a_queue_call(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.queue_call("5551234", "sales", "PJSIP/4224", answer=False)
        await watcher.fence()
        phones.answer(call)
        answered = await watcher.fence()
        phones.hangup_call(call, by=call.callee)
        ended = await watcher.fence()
    assert "AgentConnect" in names(answered)
    complete = next(m for m in ended if m.get("Event") == "AgentComplete")
    assert complete["Reason"] == "agent"
    assert phones.channels == []


async def test_dynamic_members(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        phones.add_queue_member("sales", "PJSIP/4226", name="Sam K", penalty=2)
        added = await watcher.fence()
        phones.pause_queue_member("sales", "PJSIP/4226", True, "lunch")
        paused = await watcher.fence()
        status = await watcher.action("QueueStatus", Queue="sales", Member="PJSIP/4226")
        phones.remove_queue_member("sales", "PJSIP/4226")
        removed = await watcher.fence()
        gone = await watcher.action("QueueStatus", Queue="sales", Member="PJSIP/4226")
    [event] = [m for m in added if m.get("Event") == "QueueMemberAdded"]
    assert (event["Membership"], event["Penalty"], event["MemberName"]) == ("dynamic", "2", "Sam K")
    assert event["StateInterface"] == "PJSIP/4226" and event["Status"] == "1"
    devices = {m["Device"]: m["State"] for m in added if m.get("Event") == "DeviceStateChange"}
    # the queue had available members already: its availability does not change
    assert devices == {"Queue:sales_pause_PJSIP/4226": "NOT_INUSE"}
    [pause] = [m for m in paused if m.get("Event") == "QueueMemberPause"]
    assert (pause["Paused"], pause["PausedReason"]) == ("1", "lunch")
    [member] = listed(status, "QueueMember")
    assert (member["Membership"], member["Paused"], member["PausedReason"]) == (
        "dynamic",
        "1",
        "lunch",
    )
    assert [m["Event"] for m in removed] == ["QueueMemberRemoved"]
    assert listed(gone, "QueueMember") == []


async def test_queue_member_actions(phones: SimulatedPbx, watcher: Watcher) -> None:
    add = {"Queue": "sales", "Interface": "PJSIP/4226", "MemberName": "Sam K", "Paused": "yes"}
    async with asyncio.timeout(5):
        added = await watcher.action("QueueAdd", **add)
        again = await watcher.action("QueueAdd", **add)
        nowhere = await watcher.action("QueueAdd", **dict(add, Queue="nope"))
        unpaused = await watcher.action("QueuePause", Interface="PJSIP/4226", Paused="false")
        unknown = await watcher.action("QueuePause", Interface="PJSIP/9999", Paused="true")
        static = await watcher.action("QueueRemove", Queue="sales", Interface="PJSIP/4224")
        removed = await watcher.action("QueueRemove", Queue="sales", Interface="PJSIP/4226")
        missing = await watcher.action("QueueRemove", Queue="sales", Interface="PJSIP/4226")
    answers = [m[0].get("Message") for m in (added, again, nowhere, unpaused, unknown)]
    assert answers == [
        "Added interface to queue", "Unable to add interface: Already there",
        "Unable to add interface to queue: No such queue", "Interface unpaused successfully",
        "Interface not found",
    ]  # fmt: skip
    assert added[1]["Event"] == "QueueMemberAdded" and added[1]["Paused"] == "1"
    assert [m[0].get("Message") for m in (static, removed, missing)] == [
        "Member not dynamic",
        "Removed interface from queue",
        "Unable to remove interface: Not there",
    ]


async def test_member_errors(phones: SimulatedPbx) -> None:
    with pytest.raises(LookupError):
        phones.queue_call("5551234", "sales", "PJSIP/4226")
    with pytest.raises(LookupError):
        phones.add_queue_member("nope", "PJSIP/4226")
    with pytest.raises(ValueError, match="static"):
        phones.remove_queue_member("sales", "PJSIP/4224")


async def test_the_labs_local_member_answers_as_captured(pbx: SimulatedPbx) -> None:
    watcher = await Watcher.connect(pbx)
    async with asyncio.timeout(5):
        call = pbx.queue_call("1001", "support", "Local/4224@internal", caller_name="Caller")
        setup = await watcher.fence()
        pbx.hangup_call(call)
        ended = await watcher.fence()
    await watcher.close()
    one = call.callee
    assert one is not None and one.partner is not None
    assert (one.name[-2:], one.partner.name[-2:]) == (";1", ";2")
    assert (call.caller.context, call.caller.exten) == ("internal", "5000")
    assert queue_names(setup) == [
        "QueueCallerJoin", "AgentCalled", "DialBegin", "DialEnd", "QueueCallerLeave",
        "AgentConnect", "BridgeEnter", "BridgeEnter",
    ]  # fmt: skip
    assert "LocalBridge" in names(setup)
    # Every event the capture shows has the captured header layout (the caller here is a
    # PJSIP channel hanging up with a BYE: its HangupRequest has no Cause).
    assert assert_shapes_as_captured([*setup, *ended], skip={"HangupRequest"}) > 50
    assert assert_channels_consistent([*setup, *ended]) == set()
    member = pbx.config.queues["support"].members[0]
    assert (member.calls_taken, member.in_call) == (3, False)


@pytest.mark.parametrize(
    ("status", "ringinuse", "paused", "available"),
    [
        (None, False, False, True),  # no state yet: AST_DEVICE_UNKNOWN
        (1, False, False, True),  # NOT_INUSE
        (2, False, False, False),  # INUSE
        (2, True, False, True),  # INUSE, but ringinuse
        (8, True, False, True),  # ONHOLD, ringinuse
        (5, True, False, False),  # UNAVAILABLE: never, ringinuse or not
        (4, True, False, False),  # INVALID
        (1, False, True, False),  # paused
    ],
)
def test_member_availability_is_app_queues(
    status: int | None, ringinuse: bool, paused: bool, available: bool
) -> None:
    """One rule (app_queue.c is_member_available) for calls and for Queue:<name>_avail."""
    member = QueueMember("PJSIP/100", status=status, ringinuse=ringinuse, paused=paused)
    assert member_available(member) is available
