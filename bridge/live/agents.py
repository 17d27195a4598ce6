"""Agents from the PBX: queue members it reports, static (queues.conf) or dynamic (QueueAdd, a
phone's agent login), whose interface or state interface is a known extension's device. They
show as agents of their queue even without a row in ``agents``, with ``dynamic`` saying which
kind and an id that is stable across restarts and resyncs (a UUID derived from core server,
queue, interface); a row in ``agents`` for that interface fixes the name and id instead.
Also the live values every agent shows (:func:`agent_live`).
"""

from __future__ import annotations

import uuid
from typing import Any

from bridge.directory import AgentEntry
from bridge.directory.snapshot import CoreServerIndex
from bridge.live.server import ServerLive
from bridge.timeutil import iso_utc

NAMESPACE = uuid.UUID("7f1f6a0e-2a55-4c1e-9a61-0d5b8c7a4e21")


def dynamic_agent_id(core_server_id: str, queue_id: str, interface: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{core_server_id}/{queue_id}/{interface}"))


def reported_agents(index: CoreServerIndex, live: ServerLive) -> list[AgentEntry]:
    """The members of this core server's queues, static or dynamic, that are known
    extensions, except those the directory already lists as agents of that queue."""
    agents = []
    for queue_identifier, interface, member in live.reported_members():
        agent = member_agent(
            index,
            queue_identifier,
            interface,
            member.state_interface,
            member.name,
            dynamic=member.dynamic,
        )
        if agent is not None:
            agents.append(agent)
    return agents


def member_agent(
    index: CoreServerIndex,
    queue_identifier: str,
    interface: str,
    state_interface: str = "",
    name: str = "",
    *,
    dynamic: bool = True,
) -> AgentEntry | None:
    """The agent a queue member stands for, or None (unknown queue or device, or an agent the
    directory lists already)."""
    queue = index.queues_by_identifier.get(queue_identifier)
    if queue is None:
        return None
    extensions = index.extensions_by_device.get(interface) or index.extensions_by_device.get(
        state_interface, ()
    )
    if not extensions:
        return None
    if any(a.interface == interface for a in index.agents_by_queue.get(queue.id.lower(), ())):
        return None
    extension = extensions[0]
    return AgentEntry(
        id=dynamic_agent_id(index.entry.id, queue.id, interface),
        queue_id=queue.id,
        core_server_id=index.entry.id,
        extension_id=extension.id,
        name=name or extension.display_name,
        interface=interface,
        dynamic=dynamic,
        penalty=0,
        permission_id=queue.permission_id,
    )


def agent_live(live: ServerLive, queue_identifier: str, interface: str) -> dict[str, Any]:
    """An agent's live keys: ``paused``, ``state`` and, from what Asterisk reports of the
    member, ``pausedReason`` and ``pausedSince`` (while paused), ``callsTaken``,
    ``lastCallEnd`` and ``inCall``; null while not known."""
    paused, state = live.member_of(queue_identifier, interface)
    member = live.member_details(queue_identifier, interface)
    if member is None:
        return {
            "paused": paused,
            "state": state,
            "pausedReason": None,
            "pausedSince": None,
            "callsTaken": None,
            "lastCallEnd": None,
            "inCall": None,
        }
    return {
        "paused": paused,
        "state": state,
        "pausedReason": (member.paused_reason or None) if member.paused else None,
        "pausedSince": _time(member.last_pause) if member.paused else None,
        "callsTaken": member.calls_taken,
        "lastCallEnd": _time(member.last_call),
        "inCall": member.in_call,
    }


def _time(epoch: int) -> str | None:
    """Asterisk's epoch seconds as UTC ISO 8601 (0, or nonsense: never, null)."""
    if epoch <= 0 or epoch > 253_402_300_799:  # past 9999-12-31
        return None
    return iso_utc(epoch)
