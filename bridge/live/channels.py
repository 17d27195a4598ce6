"""Channels of one core server, kept from AMI events: who is up, in which state, talking to whom.

A channel belongs to a device when its name is the device, a dash, and Asterisk's sequence
(``PJSIP/4224-0000001a`` is device ``PJSIP/4224``; a Local channel's ``;1``/``;2`` half suffix
is ignored). Channels are dropped on ``Hangup``; bridges when they empty; nothing else is kept,
so nothing grows with the number of calls.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields

from bridge.ami.protocol import Message

UP = "Up"


def device_of(channel: str) -> str:
    name = channel.split(";", 1)[0]
    device, dash, _ = name.rpartition("-")
    return device if dash else name


@dataclass(slots=True)
class ChannelInfo:
    uniqueid: str
    name: str
    device: str
    linkedid: str
    state: str
    caller_number: str
    caller_name: str
    connected_number: str
    connected_name: str
    first_exten: str
    created: float
    answered: float | None = None
    incoming: bool = False
    on_hold: bool = False
    recording: bool = False
    peer: str | None = None  # the uniqueid of the channel it dialled or was dialled by / bridged
    bridge: str | None = None
    # the number this leg was sent to: an originate's destination, a blind transfer's target
    dialled: str = ""
    # a Local ;2 half: the segment it belongs to (its ;1 half's), which it goes on with
    segment_id: str | None = None


@dataclass(slots=True)
class ChannelTable:
    """Live channels by Uniqueid, indexed by device."""

    channels: dict[str, ChannelInfo] = field(default_factory=dict)
    by_device: dict[str, set[str]] = field(default_factory=dict)
    bridges: dict[str, set[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.channels)

    def of_device(self, device: str) -> Iterator[ChannelInfo]:
        for uniqueid in self.by_device.get(device, ()):
            info = self.channels.get(uniqueid)
            if info is not None:
                yield info

    def get(self, uniqueid: str | None) -> ChannelInfo | None:
        return None if uniqueid is None else self.channels.get(uniqueid)

    def upsert(self, event: Message, prefix: str = "", *, now: float | None = None) -> ChannelInfo:
        """Create or refresh a channel from a channel snapshot block (``Dest`` prefix too)."""
        get = event.fields.get
        uniqueid = get(prefix + "Uniqueid") or ""
        info = self.channels.get(uniqueid)
        state = get(prefix + "ChannelStateDesc") or ""
        if info is None:
            name = get(prefix + "Channel") or ""
            info = ChannelInfo(
                uniqueid=uniqueid,
                name=name,
                device=device_of(name),
                linkedid=get(prefix + "Linkedid") or uniqueid,
                state=state,
                caller_number=_number(get(prefix + "CallerIDNum")),
                caller_name=_number(get(prefix + "CallerIDName")),
                connected_number=_number(get(prefix + "ConnectedLineNum")),
                connected_name=_number(get(prefix + "ConnectedLineName")),
                first_exten=get(prefix + "Exten") or "",
                created=time.time() if now is None else now,
            )
            if name.endswith(";2"):  # its ;1 half came first: one segment for the two
                first = next(
                    (c for c in self.of_device(info.device) if c.name == name[:-1] + "1"), None
                )
                if first is not None:
                    info.segment_id = first.segment_id or first.uniqueid
            self.channels[uniqueid] = info
            self.by_device.setdefault(info.device, set()).add(uniqueid)
        else:
            info.state = state or info.state
            info.caller_number = _number(get(prefix + "CallerIDNum"))
            info.caller_name = _number(get(prefix + "CallerIDName"))
            info.connected_number = _number(get(prefix + "ConnectedLineNum"))
            info.connected_name = _number(get(prefix + "ConnectedLineName"))
        if info.answered is None and state == UP:
            info.answered = time.time() if now is None else now
        return info

    def adopt_history(self, previous: ChannelTable | None) -> None:
        """After a resync: everything known before it of a channel still up (start and answer
        times, direction, hold, recording, the first ``Exten``, which makes a peer's ``did``,
        caller ids), but what the lists say of now (name, state, bridge, the bridged peer).
        Caller ids are the lists' for a channel now bridged with another peer than before (a
        transfer while the link was down)."""
        if previous is None:
            return
        for uniqueid, info in self.channels.items():
            old = previous.channels.get(uniqueid)
            if old is None:
                continue
            moved = info.peer is not None and info.peer != old.peer
            for name in _KEPT_BUT_CALLER_IDS if moved else _KEPT:
                setattr(info, name, getattr(old, name))
            if old.answered is not None:
                info.answered = old.answered
            if info.peer is None and old.peer in self.channels:
                info.peer = old.peer

    def remove(self, uniqueid: str) -> ChannelInfo | None:
        info = self.channels.pop(uniqueid, None)
        if info is None:
            return None
        members = self.by_device.get(info.device)
        if members is not None:
            members.discard(uniqueid)
            if not members:
                del self.by_device[info.device]
        if info.bridge is not None:
            self.leave_bridge(info)
        peer = self.channels.get(info.peer) if info.peer else None
        if peer is not None and peer.peer == uniqueid:
            peer.peer = None
        return info

    def hand_over(self, gone: ChannelInfo, heir: ChannelInfo) -> None:
        """A Local ``;1`` half went first: its ``;2`` half goes on with the segment, and with
        what the pair knew of the call (direction, who is at the other end)."""
        heir.incoming = gone.incoming
        heir.dialled = gone.dialled or heir.dialled
        heir.connected_name, heir.connected_number = gone.connected_name, gone.connected_number
        peer = self.channels.get(gone.peer) if gone.peer else None
        if peer is not None:
            heir.peer = peer.uniqueid
            if peer.peer in (None, gone.uniqueid):
                peer.peer = heir.uniqueid

    def enter_bridge(self, info: ChannelInfo, bridge: str) -> list[ChannelInfo]:
        """Put a channel in a bridge; returns the channels whose peer changed."""
        members = self.bridges.setdefault(bridge, set())
        members.add(info.uniqueid)
        info.bridge = bridge
        pair = [self.channels[u] for u in members if u in self.channels]
        if len(pair) != 2:
            return []
        first, second = pair
        first.peer, second.peer = second.uniqueid, first.uniqueid
        return pair

    def leave_bridge(self, info: ChannelInfo) -> None:
        bridge, info.bridge = info.bridge, None
        if bridge is None:
            return
        members = self.bridges.get(bridge)
        if members is None:
            return
        members.discard(info.uniqueid)
        if not members:
            del self.bridges[bridge]

    def drop_bridge(self, bridge: str) -> None:
        for uniqueid in self.bridges.pop(bridge, set()):
            info = self.channels.get(uniqueid)
            if info is not None and info.bridge == bridge:
                info.bridge = None


# What CoreShowChannels says of a channel now (answered: when not known from before); every
# other field of ChannelInfo, one added later included, is kept across a resync.
_LISTED = ("uniqueid", "name", "device", "linkedid", "state", "bridge", "peer", "answered")
_CALLER_IDS = ("caller_number", "caller_name", "connected_number", "connected_name")
_KEPT = tuple(f.name for f in fields(ChannelInfo) if f.name not in _LISTED)
_KEPT_BUT_CALLER_IDS = tuple(name for name in _KEPT if name not in _CALLER_IDS)


def _number(value: str | None) -> str:
    return "" if value is None or value == "<unknown>" else value


def parse_duration(text: str | None) -> float:
    """Seconds of a CoreShowChannel ``Duration: HH:MM:SS``."""
    try:
        hours, minutes, seconds = (int(part) for part in (text or "").split(":"))
    except ValueError:
        return 0.0
    return float(hours * 3600 + minutes * 60 + seconds)
