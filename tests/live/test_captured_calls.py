"""Live state fed with the events a real Asterisk 22 sent (the captures), in their order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bridge.ami.protocol import AmiParser, Message
from bridge.directory.build import DirectoryRows, build_snapshot
from bridge.directory.snapshot import CoreServerIndex
from bridge.live.segments import segments_of
from bridge.live.server import ServerLive
from bridge.live.updater import LiveUpdater
from bridge.settings import DndSettings
from tests.captures import load

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def lab_index() -> CoreServerIndex:
    """The lab PBX's people: 4224 and 4225 on Local devices, queue support with 4224."""
    cs = {
        "id": "cs",
        "slug": "lab",
        "name": "Lab",
        "enabled": True,
        "permission_id": "p",
        "ami_host": "h",
        "ami_port": 5038,
        "ami_username": "u",
        "ami_secret": "s",
        "originate_context": "internal",
        "channel_template": "Local/{number}@internal",
        "created_at": NOW,
        "ami_tls": False,
        "ami_tls_ca": None,
        "ami_auth": "md5",
    }
    license_ = {"id": "L", "core_server_id": "cs", "kind": "full", "seats": 5, "expires_at": None}
    users: list[dict[str, Any]] = []
    extensions: list[dict[str, Any]] = []
    for number in ("4224", "4225"):
        users.append(
            {
                "id": f"u{number}",
                "core_server_id": "cs",
                "username": number,
                "display_name": f"User {number}",
                "license_id": "L",
                "permission_id": "p",
                "configuration_id": "c",
                "created_at": NOW,
            }
        )
        extensions.append(
            {
                "id": f"e{number}",
                "core_server_id": "cs",
                "user_id": f"u{number}",
                "extension_number": number,
                "display_name": None,
                "channel": None,
                "permission_id": "p",
                "configuration_id": "c",
            }
        )
    queue = {
        "id": "q",
        "core_server_id": "cs",
        "identifier": "support",
        "display_name": None,
        "enabled": True,
        "permission_id": "p",
        "configuration_id": "c",
    }
    agent = {
        "id": "a",
        "queue_id": "q",
        "extension_id": "e4224",
        "name": None,
        "interface": "Local/4224@internal",
        "dynamic": False,
        "penalty": 0,
        "created_at": NOW,
    }
    rows = DirectoryRows([cs], [license_], users, extensions, [queue], [agent], [], [])
    return build_snapshot(rows, NOW, version=1).core_servers[0]


def events_of(capture: str) -> list[Message]:
    messages = AmiParser().feed(load(capture).server_bytes)
    return [m for m in messages if m.get("Event") and not m.get("ActionID")]


def synced_live() -> tuple[ServerLive, LiveUpdater]:
    live = ServerLive("cs", ami_status="connected")
    updater = LiveUpdater(live, DndSettings())
    updater.begin_sync()
    updater.finish_sync({}, [], [], [], [])
    return live, updater


def test_queue_call_answered_by_the_agent() -> None:
    index = lab_index()
    extension = index.extensions_by_number["4224"]
    live, updater = synced_live()
    seen_during_call: list[dict[str, Any]] = []
    member_states = []
    for event in events_of("queue_call_events"):
        updater("cs", event)
        if event.get("Event") == "AgentConnect":
            seen_during_call = segments_of(extension, index, live)
        if event.get("Event") == "QueueMemberStatus":
            member_states.append(live.member_of("support", "Local/4224@internal"))
    assert len(seen_during_call) == 1
    [segment] = seen_during_call
    assert segment["channel"].startswith("Local/4224@internal-")
    assert segment["incoming"] is True  # the queue dialled the agent
    assert segment["state"] == "Up"
    assert segment["callerId"]["number"] == "1001"
    assert segment["callerId"]["name"] == "Queue Caller"
    assert segment["type"] == "EXTERNAL"  # 1001 is no extension of this core server
    assert member_states == [(False, "INUSE"), (False, "NOT_INUSE")]
    # after the last Hangup nothing is left
    assert len(live.channels) == 0
    assert live.channels.bridges == {} and live.channels.by_device == {}
    assert segments_of(extension, index, live) == []


def test_originated_call_from_start_to_hangup() -> None:
    index = lab_index()
    extension = index.extensions_by_number["4224"]
    live, updater = synced_live()
    most = 0
    for event in events_of("call_event_stream"):
        updater("cs", event)
        most = max(most, len(segments_of(extension, index, live)))
    assert most == 1  # the two halves of the Local channel are one segment
    assert len(live.channels) == 0 and segments_of(extension, index, live) == []
    assert live.device_states.get("Local/4224@internal") == "NOT_INUSE"


@pytest.mark.parametrize("capture", ["queue_call_events", "call_event_stream"])
def test_events_during_a_sync_are_not_lost(capture: str) -> None:
    """The sync's lists were taken before the call; the call's events arrived meanwhile."""
    index = lab_index()
    live = ServerLive("cs", ami_status="connected")
    updater = LiveUpdater(live, DndSettings())
    events = events_of(capture)
    updater.begin_sync()
    cut = next(i for i, e in enumerate(events) if e.get("Event") == "Newchannel") + 3
    for event in events[:cut]:
        updater("cs", event)
    updater.finish_sync({}, [], [], [], [])  # empty lists: taken before the call started
    extension = index.extensions_by_number["4224"]
    channels_after_sync = len(live.channels)
    assert channels_after_sync >= 1  # replayed on top of the sync's (empty) picture
    for event in events[cut:]:
        updater("cs", event)
    assert len(live.channels) == 0 and segments_of(extension, index, live) == []
