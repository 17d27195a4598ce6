"""Waiting callers and agents' fields from the events a real Asterisk 22 sent
(``queue_callers_waiting``: two callers wait while the only member is paused, the second
abandons, the first is answered), and from its ``QueueStatus`` answer."""

from __future__ import annotations

import time

from bridge.ami.protocol import AmiParser, Message
from bridge.live.agents import agent_live
from bridge.live.queue_callers import queue_live, waiting_call_json
from bridge.live.server import Change, ServerLive
from bridge.live.updater import LiveUpdater
from bridge.settings import DndSettings
from bridge.timeutil import iso_utc
from tests.captures import load
from tests.live.test_captured_calls import events_of, lab_index, synced_live

MEMBER = ("support", "Local/4224@internal")
BOB, NAMELESS = "1795990991.4894", "1795990992.4896"


def queue_status_answer() -> list[Message]:
    messages = AmiParser().feed(load("queue_callers_waiting").server_bytes)
    return [m for m in messages if m.get("ActionID") == "qs-1" and m.get("Event")]


def test_callers_wait_one_abandons_one_is_answered() -> None:
    index = lab_index()
    live, updater = synced_live()
    left: list[str] = []
    pauses = 0
    most: list[dict[str, object]] = []

    def on_change(_live: ServerLive, change: Change) -> None:
        if change.kind == "caller" and change.phase == "end" and change.caller is not None:
            left.append(change.caller.uniqueid)

    live.listeners.append(on_change)
    for event in events_of("queue_callers_waiting"):
        updater("cs", event)
        waiting = live.callers_of("support") or []
        if len(waiting) > len(most):
            most = [waiting_call_json(c, index) for c in waiting]
        if event.get("Event") == "QueueMemberPause" and not pauses:
            pauses += 1
            paused = agent_live(live, *MEMBER)
            assert (paused["paused"], paused["pausedReason"]) == (True, None)  # no Reason sent
            assert paused["pausedSince"] == iso_utc(1795990991)  # LastPause
            assert (paused["callsTaken"], paused["lastCallEnd"]) == (2, iso_utc(1795990434))
    assert [c["id"] for c in most] == [BOB, NAMELESS]
    assert [c["position"] for c in most] == [1, 2]
    assert most[0]["callerId"] == {"name": "Bob", "number": "5551234"}
    assert most[1]["callerId"] == {"name": None, "number": None}  # '<unknown>' in events
    # why each left, as the events around each leave said
    assert left == [BOB, NAMELESS]
    assert live.left_callers[BOB].outcome == "answered"  # AgentConnect after the leave
    assert live.left_callers[NAMELESS].outcome == "abandoned"  # QueueCallerAbandon before it
    assert live.callers_of("support") == []
    assert queue_live(live, "support") == {"callsWaiting": 0, "longestWaitSince": None}
    assert agent_live(live, *MEMBER)["paused"] is False


def test_queue_status_gives_the_waiting_callers() -> None:
    index = lab_index()
    live = ServerLive("cs", ami_status="connected")
    updater = LiveUpdater(live, DndSettings())
    answer = queue_status_answer()
    members = [m for m in answer if m.get("Event") == "QueueMember"]
    entries = [m for m in answer if m.get("Event") == "QueueEntry"]
    assert len(members) == 1 and len(entries) == 2
    updater.begin_sync()
    before = time.time()
    updater.finish_sync({}, [], [], [], members, entries=entries)
    waiting = [waiting_call_json(c, index) for c in live.callers_of("support") or []]
    assert [c["id"] for c in waiting] == [BOB, NAMELESS]
    assert waiting[0]["callerId"] == {"name": "Bob", "number": "5551234"}
    assert waiting[1]["callerId"] == {"name": None, "number": None}  # QueueEntry's 'unknown'
    bob, nameless = (live.callers[BOB], live.callers[NAMELESS])
    assert before - 2 - 1 <= bob.since <= time.time() - 2  # Wait: 2
    assert nameless.since > bob.since
    agent = agent_live(live, *MEMBER)
    assert (agent["paused"], agent["callsTaken"], agent["inCall"]) == (True, 2, False)


def test_a_pause_reason_from_events_and_from_queue_status() -> None:
    """``queue_pause_reason``: paused for lunch, QueueStatus while paused, unpaused."""
    live, updater = synced_live()
    pauses = [e for e in events_of("queue_pause_reason") if e.get("Event") == "QueueMemberPause"]
    assert len(pauses) == 2
    updater("cs", pauses[0])
    paused = agent_live(live, *MEMBER)
    assert (paused["paused"], paused["pausedReason"]) == (True, "lunch")
    assert paused["pausedSince"] == iso_utc(1795990986)
    updater("cs", pauses[1])
    assert agent_live(live, *MEMBER)["pausedReason"] is None

    messages = AmiParser().feed(load("queue_pause_reason").server_bytes)
    members = [
        m for m in messages if m.get("ActionID") == "qs-1" and m.get("Event") == "QueueMember"
    ]
    resynced, updater = synced_live()
    updater.begin_sync()
    updater.finish_sync({}, [], [], [], members)
    again = agent_live(resynced, *MEMBER)
    assert (again["paused"], again["pausedReason"], again["pausedSince"]) == (
        True,
        "lunch",
        iso_utc(1795990986),
    )
