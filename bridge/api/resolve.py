"""Walks a parsed path left to right: the first missing object is 404, the first restricted 403."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web

from bridge import access
from bridge.directory import AccountEntry, AgentEntry, ExtensionEntry, QueueEntry, UserEntry
from bridge.directory.snapshot import CoreServerIndex, Snapshot
from bridge.errors import Forbidden, NotFound
from bridge.live import LiveState
from bridge.live.agents import reported_agents
from bridge.live.channels import ChannelInfo
from bridge.live.segments import segment_channel


class Kind(StrEnum):
    CORE_SERVER = "core_server"
    USER = "user"
    EXTENSION = "extension"
    QUEUE = "queue"
    AGENT = "agent"
    CALL_SEGMENT = "call_segment"


@dataclass(frozen=True, slots=True)
class Step:
    """One object in a path: ``{id}``, ``getByName/{name}``, or (key None) the parent's own."""

    kind: Kind
    key: str | None = None
    by_name: bool = False


@dataclass(slots=True)
class Target:
    """What a path names, for one account, on one snapshot (filled in left to right)."""

    snapshot: Snapshot
    account: AccountEntry
    live: LiveState
    server: CoreServerIndex | None = None
    user: UserEntry | None = None
    queue: QueueEntry | None = None
    agent: AgentEntry | None = None
    extension: ExtensionEntry | None = None
    # EXT/callSegments/{id}: the id, and the channel that stands for it (None while the live
    # state is not synced: whether it exists is not known, and the action answers 503)
    segment_id: str | None = None
    segment: ChannelInfo | None = None


Handler = Callable[[web.Request, Target], Awaitable[web.StreamResponse]]


def resolve(
    steps: tuple[Step, ...], snapshot: Snapshot, account: AccountEntry, live: LiveState
) -> Target:
    target = Target(snapshot, account, live)
    for step in steps:
        target = _RESOLVERS[step.kind](target, step)
    return target


def _core_server(target: Target, step: Step) -> Target:
    key = step.key or ""
    snapshot = target.snapshot
    index = snapshot.core_servers_by_slug.get(key) if step.by_name else snapshot.core_server(key)
    if index is None:
        raise NotFound(f"No core server {_said(step)}", error_id="core-server-not-found")
    server = index.entry
    if not server.enabled:
        raise Forbidden(f"Core server {server.slug} is disabled", error_id="core-server-disabled")
    if not access.can_view_core_server(target.account, server, snapshot):
        raise _restricted("core server", server.slug)
    target.server = index
    return target


def _user(target: Target, step: Step) -> Target:
    index = _server(target)
    key = step.key or ""
    user = index.users_by_name.get(key) if step.by_name else index.users_by_id.get(key.lower())
    if user is None:
        raise NotFound(
            f"No user {_said(step)} on core server {index.entry.slug}", error_id="user-not-found"
        )
    if not access.can_view_user(target.account, user):
        raise _restricted("user", user.username)
    target.user = user
    return target


def _extension(target: Target, step: Step) -> Target:
    index = _server(target)
    if step.key is None:  # AGENT/extension
        assert target.agent is not None
        agent = target.agent
        extension = index.extensions_by_id.get((agent.extension_id or "").lower())
        if extension is None or not extension.licensed:
            raise _agent_unlicensed(agent)
    else:
        extension = (
            index.extensions_by_number.get(step.key)
            if step.by_name
            else index.extensions_by_id.get(step.key.lower())
        )
        if extension is None or (target.user is not None and extension.user_id != target.user.id):
            where = f"user {target.user.username}" if target.user else "core server"
            slug = "" if target.user else f" {index.entry.slug}"
            raise NotFound(
                f"No extension {_said(step)} on {where}{slug}", error_id="extension-not-found"
            )
        if not extension.licensed:
            raise Forbidden(
                f"Extension {extension.number} is not bound to a licensed/full user",
                error_id="extension-not-licensed",
            )
    if not access.can_view_extension(target.account, extension):
        raise _restricted("extension", extension.number)
    target.extension = extension
    return target


def _queue(target: Target, step: Step) -> Target:
    index = _server(target)
    key = step.key or ""
    queue = (
        index.queues_by_identifier.get(key) if step.by_name else index.queues_by_id.get(key.lower())
    )
    if queue is None:
        raise NotFound(
            f"No queue {_said(step)} on core server {index.entry.slug}", error_id="queue-not-found"
        )
    if not queue.enabled:
        raise Forbidden(f"Queue {queue.identifier} is not enabled", error_id="queue-disabled")
    if not access.can_view_queue(target.account, queue):
        raise _restricted("queue", queue.identifier)
    target.queue = queue
    return target


def _agent(target: Target, step: Step) -> Target:
    index = _server(target)
    assert target.queue is not None
    key = (step.key or "").lower()
    agent = index.agents_by_id.get(key) or next(
        (a for a in reported_agents(index, target.live.server(index.entry.id)) if a.id == key),
        None,
    )
    if agent is None or agent.queue_id != target.queue.id:
        raise NotFound(
            f"No agent {_said(step)} in queue {target.queue.identifier}", error_id="agent-not-found"
        )
    extension = index.extensions_by_id.get((agent.extension_id or "").lower())
    if extension is None or not extension.licensed:
        raise _agent_unlicensed(agent)
    if not access.can_view_agent(target.account, agent):
        raise _restricted("agent", agent.id)
    target.agent = agent
    return target


def _call_segment(target: Target, step: Step) -> Target:
    index = _server(target)
    assert target.extension is not None
    live = target.live.server(index.entry.id)
    target.segment_id = key = step.key or ""
    if not live.synced:
        return target
    target.segment = segment_channel(target.extension, live, key)
    if target.segment is None:
        raise NotFound(
            f"No live call segment {_said(step)} of extension {target.extension.number}",
            error_id="call-segment-not-found",
        )
    return target


def agent_extension(target: Target) -> ExtensionEntry:
    """The extension of the agent a path names (resolving the agent made sure it exists)."""
    assert target.server is not None and target.agent is not None
    extension = target.server.extensions_by_id.get((target.agent.extension_id or "").lower())
    assert extension is not None
    return extension


_RESOLVERS = {
    Kind.CORE_SERVER: _core_server,
    Kind.USER: _user,
    Kind.EXTENSION: _extension,
    Kind.QUEUE: _queue,
    Kind.AGENT: _agent,
    Kind.CALL_SEGMENT: _call_segment,
}


def _server(target: Target) -> CoreServerIndex:
    assert target.server is not None
    return target.server


def _said(step: Step) -> str:
    key = step.key or ""
    shown = key if len(key) <= 80 else key[:77] + "..."
    return shown if step.by_name else f"with id {shown}"


def _restricted(what: str, name: str) -> Forbidden:
    return Forbidden(f"This account may not access {what} {name}", error_id="forbidden")


def _agent_unlicensed(agent: AgentEntry) -> Forbidden:
    return Forbidden(
        f"Agent {agent.id} is not related to an extension bound to a licensed/full user",
        error_id="agent-extension-not-licensed",
    )
