"""Dynamic agents: queue members added at run time (QueueAdd, a phone's agent login) whose
interface is a known extension's device. They show as agents with ``dynamic: true`` and an id
that is stable across restarts and resyncs (a UUID derived from core server, queue, interface).
"""

from __future__ import annotations

import uuid

from bridge.directory import AgentEntry
from bridge.directory.snapshot import CoreServerIndex
from bridge.live.server import ServerLive

NAMESPACE = uuid.UUID("7f1f6a0e-2a55-4c1e-9a61-0d5b8c7a4e21")


def dynamic_agent_id(core_server_id: str, queue_id: str, interface: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{core_server_id}/{queue_id}/{interface}"))


def dynamic_agents(index: CoreServerIndex, live: ServerLive) -> list[AgentEntry]:
    """The dynamic members of this core server's queues that are known extensions, except
    those the directory already lists as agents of that queue."""
    agents = []
    for queue_identifier, interface, member in live.dynamic_members():
        agent = member_agent(
            index, queue_identifier, interface, member.state_interface, member.name
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
) -> AgentEntry | None:
    """The dynamic agent a queue member stands for, or None (unknown queue or device, or an
    agent the directory lists already)."""
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
        dynamic=True,
        penalty=0,
        permission_id=queue.permission_id,
    )
