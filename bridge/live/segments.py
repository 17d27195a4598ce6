"""Call segments: an extension's live channels in the shape docs/api.md gives.

One segment per channel of the extension's device. ``callerId`` is the other party as the phone
shows it (the channel's connected line), with the id of that party's extension when it is one of
this core server's; ``type`` is INTERNAL when the other party is a known extension (by its
channel's device, or by number), else EXTERNAL; ``did`` is the number an outside caller dialled
(the trunk channel's first extension), for incoming EXTERNAL calls only. The two halves of a
Local channel (``;1`` and ``;2``) are one call leg: while both are up, ``;1`` stands for both.
"""

from __future__ import annotations

from typing import Any

from bridge.directory import ExtensionEntry
from bridge.directory.snapshot import CoreServerIndex
from bridge.live.channels import ChannelInfo
from bridge.live.server import ServerLive
from bridge.timeutil import iso_utc


def segments_of(
    extension: ExtensionEntry, index: CoreServerIndex, live: ServerLive
) -> list[dict[str, Any]]:
    if not live.synced:
        return []
    channels = sorted(live.channels.of_device(extension.device), key=lambda c: c.created)
    return [segment(c, index, live) for c in channels if not is_hidden_half(c, live)]


def is_hidden_half(channel: ChannelInfo, live: ServerLive) -> bool:
    """A Local channel's ``;2`` half while its ``;1`` half is up (that one stands for both)."""
    if not channel.name.endswith(";2"):
        return False
    sibling = channel.name[:-1] + "1"
    return any(c.name == sibling for c in live.channels.of_device(channel.device))


def segment(channel: ChannelInfo, index: CoreServerIndex, live: ServerLive) -> dict[str, Any]:
    peer = live.channels.get(channel.peer)
    far = _extension_of(peer, channel.connected_number, index)
    internal = far is not None
    did = None
    if channel.incoming and not internal and peer is not None:
        did = peer.first_exten or None
    return {
        "id": channel.uniqueid,
        "type": "INTERNAL" if internal else "EXTERNAL",
        "callerId": {
            "id": far.id if far is not None else None,
            "name": channel.connected_name,
            "number": channel.connected_number,
        },
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


def _extension_of(
    peer: ChannelInfo | None, number: str, index: CoreServerIndex
) -> ExtensionEntry | None:
    if peer is not None:
        for extension in index.extensions_by_device.get(peer.device, ()):
            return extension
    return index.extensions_by_number.get(number) if number else None
