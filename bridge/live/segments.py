"""Call segments: an extension's live channels in the shape docs/api.md gives.

One segment per channel of the extension's device. ``callerId`` is the OTHER party as this
extension's phone would show it, never the extension itself, and all of it from one party:

- a peer (the channel it dialled, was dialled by, or is bridged with) that is one of this core
  server's extensions: that extension (its id and number; the peer's caller name when the peer
  says it is that number, else, as Local channels pass the dialling side's on, the directory's);
- any other peer (a trunk): the peer's caller id (Local channels pass the dialling side's caller
  id on, so a peer that claims to be this extension names, instead, its own device's number);
- no peer yet: for an incoming leg, the party Asterisk names in the connected line; for an
  outgoing one, the number dialled (an originate's destination, a transfer's target, what the
  phone dialled), with no name (Asterisk has named nobody yet).

``type`` is INTERNAL when that party is a known extension, else EXTERNAL; ``did`` is the number
an outside caller dialled (the trunk channel's first extension), for incoming EXTERNAL calls.
The two halves of a Local channel (``;1`` and ``;2``) are one segment: while both are up ``;1``
stands for both; when ``;1`` goes first, ``;2`` goes on under the same segment id.
"""

from __future__ import annotations

from typing import Any

from bridge.directory import ExtensionEntry
from bridge.directory.snapshot import CoreServerIndex
from bridge.live.channels import ChannelInfo
from bridge.live.server import ServerLive
from bridge.timeutil import iso_utc

NOT_DIALLED = ("", "s")  # an originated or dialled leg starts at extension "s"


def segments_of(
    extension: ExtensionEntry, index: CoreServerIndex, live: ServerLive
) -> list[dict[str, Any]]:
    if not live.synced:
        return []
    channels = sorted(live.channels.of_device(extension.device), key=lambda c: c.created)
    return [segment(c, index, live, extension) for c in channels if not is_hidden_half(c, live)]


def segment_channel(
    extension: ExtensionEntry, live: ServerLive, segment_id: str
) -> ChannelInfo | None:
    """The channel that stands for segment ``segment_id`` of ``extension`` (the one its
    ``channel`` names), or None when no such segment is live."""
    return next(
        (
            c
            for c in live.channels.of_device(extension.device)
            if (c.segment_id or c.uniqueid) == segment_id and not is_hidden_half(c, live)
        ),
        None,
    )


def is_hidden_half(channel: ChannelInfo, live: ServerLive) -> bool:
    """A Local channel's ``;2`` half while its ``;1`` half is up (that one stands for both)."""
    return channel.name.endswith(";2") and _sibling(channel, live, "1") is not None


def surviving_half(channel: ChannelInfo, live: ServerLive) -> ChannelInfo | None:
    """The ``;2`` half that goes on with the segment of a ``;1`` half that is gone."""
    return _sibling(channel, live, "2") if channel.name.endswith(";1") else None


def _sibling(channel: ChannelInfo, live: ServerLive, half: str) -> ChannelInfo | None:
    name = channel.name[:-1] + half
    return next((c for c in live.channels.of_device(channel.device) if c.name == name), None)


def segment(
    channel: ChannelInfo, index: CoreServerIndex, live: ServerLive, extension: ExtensionEntry
) -> dict[str, Any]:
    peer = live.channels.get(channel.peer)
    far, name, number = _other_party(channel, peer, index, extension)
    did = None
    if channel.incoming and far is None and peer is not None:
        did = peer.first_exten if peer.first_exten not in NOT_DIALLED else None
    return {
        "id": channel.segment_id or channel.uniqueid,
        "type": "INTERNAL" if far is not None else "EXTERNAL",
        "callerId": {"id": far.id if far is not None else None, "name": name, "number": number},
        "did": did,
        "onHold": channel.on_hold,
        "recording": channel.recording,
        "incoming": channel.incoming,
        "channel": channel.name,
        "state": channel.state,
        "startTime": iso_utc(channel.created),
        "answerTime": iso_utc(channel.answered) if channel.answered is not None else None,
        "connectedLine": {"name": channel.connected_name, "number": channel.connected_number},
    }


def _other_party(
    channel: ChannelInfo,
    peer: ChannelInfo | None,
    index: CoreServerIndex,
    own: ExtensionEntry,
) -> tuple[ExtensionEntry | None, str, str]:
    """``(its extension, name, number)`` of the party this extension's phone is talking to."""
    if peer is not None:
        far = next(iter(index.extensions_by_device.get(peer.device, ())), None)
        if far is not None and far.id != own.id:
            said = peer.caller_number == far.number and peer.caller_name
            return far, said or far.display_name, far.number
        name, number = peer.caller_name, peer.caller_number
        if number == own.number or not number:
            name, number = "", _number_of_device(peer.device) or peer.first_exten
    elif channel.incoming:
        name, number = channel.connected_name, channel.connected_number
        if number == own.number:
            name, number = "", ""
    else:
        number = channel.dialled or (
            channel.first_exten if channel.first_exten not in NOT_DIALLED else ""
        )
        name = ""
    far = index.extensions_by_number.get(number) if number else None
    if far is not None and far.id == own.id:
        far, name, number = None, "", ""  # never the extension itself
    return far, name, number if number not in NOT_DIALLED else ""


def _number_of_device(device: str) -> str:
    """The number in a Local device's name (``Local/1001@internal`` is 1001), else ""."""
    if not device.startswith("Local/"):
        return ""
    return device[len("Local/") :].split("@", 1)[0]
