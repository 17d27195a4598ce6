"""Callers waiting in queues, kept from app_queue's events and re-synced from ``QueueStatus``.

``QueueCallerJoin`` adds a caller (its channel's Uniqueid is its id), ``QueueCallerLeave``
takes it away and moves those behind it up one place. Why it left is said around the leave:
``QueueCallerAbandon`` comes just before it (the caller hung up), ``AgentConnect`` just after
it (a member answered), and app_queue's ``QUEUESTATUS`` variable (``TIMEOUT``, ``LEAVEEMPTY``,
``FULL``...) when Queue() gives up on the caller. ``QueueStatus`` lists the callers waiting as
``QueueEntry`` events, which write ``unknown`` (no brackets) for a missing caller id part.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from bridge.ami.protocol import Message
from bridge.directory.snapshot import CoreServerIndex
from bridge.live.channels import ChannelInfo
from bridge.live.segments import NOT_DIALLED
from bridge.live.server import Change, ServerLive, WaitingCall
from bridge.timeutil import iso_utc

# What Asterisk writes for a caller id part it does not have (events, then QueueEntry).
NO_CALLER_ID = ("", "<unknown>")
NO_CALLER_ID_ENTRY = (*NO_CALLER_ID, "unknown")
LEFT_KEPT = 64  # callers that left, kept for an outcome that follows the leave


def caller_join(live: ServerLive, event: Message) -> None:
    uniqueid = event.exact("Uniqueid") or ""
    if not uniqueid or uniqueid in live.callers:
        return  # a join replayed after the resync that found it already
    call = WaitingCall(
        uniqueid=uniqueid,
        queue=event.exact("Queue") or "",
        channel=event.exact("Channel") or "",
        position=_int(event.exact("Position")),
        caller_name=_caller_id(event.exact("CallerIDName"), NO_CALLER_ID),
        caller_number=_caller_id(event.exact("CallerIDNum"), NO_CALLER_ID),
        **_dialled(live.channels.get(uniqueid)),
        since=time.time(),
    )
    live.callers[uniqueid] = call
    live.notify(Change("caller", (call.queue, uniqueid), "start", caller=call))


def caller_abandon(live: ServerLive, event: Message) -> None:
    call = live.callers.get(event.exact("Uniqueid") or "")
    if call is not None:
        call.outcome = "abandoned"


def caller_leave(live: ServerLive, event: Message) -> None:
    call = live.callers.pop(event.exact("Uniqueid") or "", None)
    if call is None:
        return
    for other in live.callers.values():
        if other.queue == call.queue and other.position > call.position:
            other.position -= 1
    live.left_callers[call.uniqueid] = call
    while len(live.left_callers) > LEFT_KEPT:
        del live.left_callers[next(iter(live.left_callers))]
    live.notify(Change("caller", (call.queue, call.uniqueid), "end", caller=call))


def agent_connect(live: ServerLive, event: Message) -> None:
    _outcome(live, event.exact("Uniqueid"), "answered")


def queue_status_variable(live: ServerLive, event: Message) -> None:
    """A ``VarSet`` of app_queue's ``QUEUESTATUS``: why Queue() let the caller go."""
    if event.exact("Variable") == "QUEUESTATUS":
        _outcome(live, event.exact("Uniqueid"), (event.exact("Value") or "").lower())


def _outcome(live: ServerLive, uniqueid: str | None, outcome: str) -> None:
    call = live.left_callers.get(uniqueid or "") or live.callers.get(uniqueid or "")
    if call is not None and outcome and not call.outcome:
        call.outcome = outcome


def rebuild_callers(
    live: ServerLive, entries: Iterable[Message], before: Mapping[str, WaitingCall]
) -> None:
    """The waiting callers from ``QueueStatus``'s ``QueueEntry`` events (no notifications): a
    caller known from before the resync keeps its waiting time, caller id and DID; a new one
    has waited ``Wait`` seconds."""
    now = time.time()
    live.callers = {}
    live.left_callers = {}
    for event in entries:
        uniqueid = event.exact("Uniqueid") or ""
        if not uniqueid:
            continue
        old = before.get(uniqueid)
        call = WaitingCall(
            uniqueid=uniqueid,
            queue=event.exact("Queue") or "",
            channel=event.exact("Channel") or "",
            position=_int(event.exact("Position")),
            caller_name=_caller_id(event.exact("CallerIDName"), NO_CALLER_ID_ENTRY),
            caller_number=_caller_id(event.exact("CallerIDNum"), NO_CALLER_ID_ENTRY),
            **_dialled(live.channels.get(uniqueid)),
            since=now - _int(event.exact("Wait")),
        )
        if old is not None and old.queue == call.queue:
            call.since, call.dialled, call.device = old.since, old.dialled, old.device
            call.caller_name = call.caller_name or old.caller_name
            call.caller_number = call.caller_number or old.caller_number
        live.callers[uniqueid] = call


def _dialled(channel: ChannelInfo | None) -> dict[str, str]:
    """What the caller's channel dialled first, and its device (the DID, for an outside
    caller: see :func:`waiting_call_json`)."""
    if channel is None:
        return {"dialled": "", "device": ""}
    dialled = channel.first_exten if channel.first_exten not in NOT_DIALLED else ""
    return {"dialled": dialled, "device": channel.device}


def _caller_id(value: str | None, absent: tuple[str, ...]) -> str | None:
    return None if value is None or value in absent else value


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def waiting_call_json(call: WaitingCall, index: CoreServerIndex) -> dict[str, Any]:
    """A waiting call as the API shows it. ``did`` is what an outside caller dialled: none for
    a caller on one of this core server's extensions."""
    outside = call.device not in index.extensions_by_device
    return {
        "id": call.uniqueid,
        "position": call.position,
        "callerId": {"name": call.caller_name, "number": call.caller_number},
        "did": (call.dialled or None) if outside else None,
        "waitingSince": iso_utc(call.since),
    }


def queue_live(live: ServerLive, queue_identifier: str) -> dict[str, Any]:
    """A queue's live keys: ``callsWaiting`` and ``longestWaitSince`` (null when nobody waits,
    both null while not known)."""
    waiting = live.callers_of(queue_identifier)
    if waiting is None:
        return {"callsWaiting": None, "longestWaitSince": None}
    return {
        "callsWaiting": len(waiting),
        "longestWaitSince": iso_utc(waiting[0].since) if waiting else None,
    }
