"""The (re)sync that follows every login: the live state rebuilt from Asterisk's own lists.

DND from AstDB (``DBGetTree Family=DND``, or ``DBGet`` per extension on an Asterisk without
DBGetTree), device states (``DeviceStateList``), hints (``ExtensionStateList``), channels
(``CoreShowChannels``) and queue members (``QueueStatus``). Then what the lists do not say, asked
with ``Getvar`` (see ``asks``): ``DEVICE_STATE(<device>)`` of every extension's device that
DeviceStateList left out (Local channels, an endpoint that never changed). Events that arrive
meanwhile are replayed on top (see LiveUpdater), so there is no gap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from bridge.ami import commands
from bridge.ami.link import AmiLink
from bridge.ami.protocol import Message
from bridge.errors import AmiActionFailed, AmiTimeout, AmiUnavailable
from bridge.live.asks import ask_values
from bridge.live.dnd import read_family
from bridge.live.updater import LiveUpdater
from bridge.settings import DndSettings

log = logging.getLogger(__name__)


async def sync_live_state(
    link: AmiLink,
    updater: LiveUpdater,
    dnd: DndSettings,
    extensions: Iterable[tuple[str, str]],
    ask_within: float = 10.0,
) -> bool:
    """Rebuild the live state from Asterisk's lists; False when the link failed meanwhile.

    ``extensions``: ``(number, device)`` of every extension of the core server; the Getvars
    take at most ``ask_within`` seconds in all."""
    known = list(extensions)
    updater.begin_sync()
    try:
        astdb = await read_family(link, dnd, [number for number, _ in known])
        devices = await _list(link, {"Action": "DeviceStateList"}, "DeviceStateChange")
        hints = await _list(link, {"Action": "ExtensionStateList"}, "ExtensionStatus")
        channels = await _list(link, {"Action": "CoreShowChannels"}, "CoreShowChannel")
        members = await _list(link, {"Action": "QueueStatus"}, "QueueMember")
        ours = {device for _, device in known if device}
        unlisted = ours - {e.exact("Device") for e in devices}
        values = await ask_values(
            link,
            {("state", d): commands.getvar(f"DEVICE_STATE({d})") for d in sorted(unlisted)},
            ask_within,
        )
    except (AmiUnavailable, AmiTimeout) as error:
        updater.abandon_sync()
        log.warning("AMI %s: live state sync interrupted: %s", link.name, error.message)
        return False
    states = {key: value for (kind, key), value in values.items() if kind == "state" and value}
    updater.finish_sync(astdb, devices, hints, channels, members, states=states)
    log.info(
        "AMI %s: live state synced (%d DND, %d devices, %d channels, %d queue members)",
        link.name,
        sum(updater.live.dnd.values()),
        len(devices) + len(states),
        len(channels),
        len(members),
    )
    return True


async def _list(link: AmiLink, action: dict[str, str], event_name: str) -> list[Message]:
    try:
        reply = await link.send(action, expect_list=True)
    except AmiActionFailed as error:
        log.info("AMI %s: %s not available (%s)", link.name, action["Action"], error.message)
        return []
    return [_message(e) for e in reply.events if e.get("Event") == event_name]


def _message(event: Mapping[str, Any]) -> Message:
    return Message([(str(k), str(v)) for k, v in event.items()])
