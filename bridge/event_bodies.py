"""The event stream's events of one live change: their bodies, and who may see each.

:class:`bridge.live_events.LiveEvents` decides when they go out (and when they would repeat
what was said); here is only what they say.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from bridge import access
from bridge.directory import AccountEntry, AgentEntry, ExtensionEntry, QueueEntry
from bridge.directory.snapshot import CoreServerIndex, Snapshot
from bridge.live import Change, ServerLive
from bridge.live.agents import agent_live, member_agent
from bridge.live.channels import ChannelInfo
from bridge.live.segments import segment
from bridge.originates import OriginateResult
from bridge.timeutil import iso_utc

Visible = Callable[[AccountEntry], bool]
Said = tuple[dict[str, Any], Visible, object]  # the event (no time yet), visibility, subject


def change_events(
    index: CoreServerIndex, live: ServerLive, change: Change, snapshot: Snapshot
) -> Iterator[Said]:
    server = index.entry

    def server_visible(account: AccountEntry) -> bool:
        return access.can_view_core_server(account, server, snapshot)

    base: dict[str, Any] = {"coreServerId": server.id}
    kind = change.kind
    event: dict[str, Any]
    if kind == "amiStatus":
        event = {
            "type": "coreServer.amiStatus",
            **base,
            "amiStatus": live.ami_status,
            "amiStatusReason": live.ami_status_reason,
        }
        yield event, server_visible, None
    elif kind == "synced":
        yield {"type": "coreServer.synced", **base}, server_visible, None
    elif kind in ("device", "hint", "dnd"):
        for extension in _extensions_for(index, kind, str(change.key)):
            ids = {**base, "extensionId": extension.id, "extensionNumber": extension.number}
            if kind == "dnd":
                event = {"type": "extension.dnd", **ids, "dnd": live.dnd_of(extension.number)}
            else:
                state = live.device_state_of(extension.device, extension.number)
                event = {"type": "extension.state", **ids, "deviceState": state}
            yield event, extension_visible(extension), (event["type"], extension.id)
    elif kind == "member":
        assert isinstance(change.key, tuple)
        queue_identifier, interface = (str(part) for part in change.key)
        removed = change.phase == "end"
        member = change.member or live.members.get((queue_identifier, interface))
        for agent in _agents_for(index, queue_identifier, interface, member):
            event = {
                "type": "agent.removed" if removed else "agent.state",
                **base,
                "agentId": agent.id,
                "queueId": agent.queue_id,
                "extensionId": agent.extension_id,
                **agent_live(live, queue_identifier, interface),
            }
            subject = ("agent", agent.id)
            yield event, agent_visible(agent), (None if removed else subject)


def segment_events(
    index: CoreServerIndex, live: ServerLive, channel: ChannelInfo, phase: str, snapshot: Snapshot
) -> Iterator[Said]:
    for extension in index.extensions_by_device.get(channel.device, ()):
        if extension.licensed:
            body = segment(channel, index, live, extension)
            event = {
                "type": f"callSegment.{phase}",
                "coreServerId": index.entry.id,
                "extensionId": extension.id,
                "extensionNumber": extension.number,
                "segment": body,
            }
            yield event, extension_visible(extension), ("segment", extension.id, body["id"])


def originate_result(result: OriginateResult) -> tuple[dict[str, Any], Visible]:
    """``originate.result``: what became of a call the bridge originated, for whoever may
    view its extension."""
    extension = result.pending.extension
    event = {
        "type": "originate.result",
        "time": iso_utc(time.time()),
        "coreServerId": result.pending.server.id,
        "actionId": result.action_id,
        "extensionId": extension.id,
        "extensionNumber": extension.number,
        "destination": result.pending.destination,
        "outcome": result.outcome,
        "reason": result.reason,
    }
    return event, extension_visible(extension)


def _extensions_for(index: CoreServerIndex, kind: str, key: str) -> list[ExtensionEntry]:
    if kind == "device":
        found = list(index.extensions_by_device.get(key, ()))
    else:
        extension = index.extensions_by_number.get(key)
        found = [extension] if extension is not None else []
    return [e for e in found if e.licensed]


def _agents_for(
    index: CoreServerIndex, queue_identifier: str, interface: str, member: Any
) -> list[AgentEntry]:
    queue = index.queues_by_identifier.get(queue_identifier)
    if queue is None or not queue.enabled:
        return []
    static = [
        a for a in index.agents_by_queue.get(queue.id.lower(), ()) if a.interface == interface
    ]
    dynamic = member_agent(
        index,
        queue_identifier,
        interface,
        member.state_interface if member else "",
        member.name if member else "",
        dynamic=bool(member.dynamic) if member else True,
    )
    agents = static or ([dynamic] if dynamic is not None else [])
    return [
        a
        for a in agents
        if (e := index.extensions_by_id.get((a.extension_id or "").lower())) and e.licensed
    ]


def extension_visible(extension: ExtensionEntry) -> Visible:
    return lambda account: access.can_view_extension(account, extension)


def queue_visible(queue: QueueEntry) -> Visible:
    return lambda account: access.can_view_queue(account, queue)


def agent_visible(agent: AgentEntry) -> Visible:
    return lambda account: access.can_view_agent(account, agent)
