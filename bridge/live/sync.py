"""The (re)sync that follows every login: the live state rebuilt from Asterisk's own lists.

DND from AstDB (``DBGetTree Family=DND``, or ``DBGet`` per extension on an Asterisk without
DBGetTree), device states (``DeviceStateList``), hints (``ExtensionStateList``), channels
(``CoreShowChannels``), queue members and waiting callers (``QueueStatus``). Then what the
lists do not say, asked with ``Getvar`` (see ``asks``): ``DEVICE_STATE(<device>)`` of every
extension's device that DeviceStateList left out (Local channels, an endpoint that never
changed), and ``CDR(answer,u)`` of each channel found up on an extension's device whose answer
time is not known from before.
Events that arrive meanwhile are replayed on top (see LiveUpdater), so there is no gap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from bridge.ami import commands
from bridge.ami.link import AmiLink
from bridge.ami.protocol import Message
from bridge.errors import AmiActionFailed, AmiTimeout, AmiUnavailable
from bridge.live.asks import ask_values, cdr_time
from bridge.live.channels import UP, ChannelTable, device_of
from bridge.live.dnd import read_family
from bridge.live.updater import LiveUpdater
from bridge.settings import DndSettings

log = logging.getLogger(__name__)

# Asterisk's raw CDR time (epoch seconds): the formatted one is in the PBX's own time zone.
CDR_ANSWER = "CDR(answer,u)"


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
        queue_status = await _list(link, {"Action": "QueueStatus"}, "QueueMember", "QueueEntry")
        members = [e for e in queue_status if e.exact("Event") == "QueueMember"]
        entries = [e for e in queue_status if e.exact("Event") == "QueueEntry"]
        ours = {device for _, device in known if device}
        unlisted = ours - {e.exact("Device") for e in devices}
        unanswered = _unanswered(channels, ours, updater.live.forgotten_channels)
        values = await ask_values(
            link,
            {
                **{("state", d): commands.getvar(f"DEVICE_STATE({d})") for d in sorted(unlisted)},
                **{("answer", u): commands.getvar(CDR_ANSWER, name) for u, name in unanswered},
            },
            ask_within,
        )
    except (AmiUnavailable, AmiTimeout) as error:
        updater.abandon_sync()
        log.warning("AMI %s: live state sync interrupted: %s", link.name, error.message)
        return False
    states = {key: value for (kind, key), value in values.items() if kind == "state" and value}
    updater.finish_sync(
        astdb,
        devices,
        hints,
        channels,
        members,
        states=states,
        answers=_answers(values),
        entries=entries,
    )
    log.info(
        "AMI %s: live state synced (%d DND, %d devices, %d channels, %d queue members,"
        " %d waiting callers)",
        link.name,
        sum(updater.live.dnd.values()),
        len(devices) + len(states),
        len(channels),
        len(members),
        len(entries),
    )
    return True


def _unanswered(
    channels: list[Message], ours: set[str], before: ChannelTable | None
) -> list[tuple[str, str]]:
    """``(uniqueid, channel)`` of the channels up on an extension's device whose answer time
    is not known from before the resync."""
    found = []
    for event in channels:
        uniqueid, name = event.exact("Uniqueid") or "", event.exact("Channel") or ""
        if event.exact("ChannelStateDesc") != UP or device_of(name) not in ours:
            continue
        old = before.get(uniqueid) if before is not None else None
        if old is None or old.answered is None:
            found.append((uniqueid, name))
    return found


def _answers(values: Mapping[tuple[str, str], str]) -> dict[str, float | None]:
    answers = {}
    for (kind, uniqueid), value in values.items():
        if kind != "answer":
            continue
        try:
            answers[uniqueid] = cdr_time(value)
        except ValueError:
            log.info("channel %s: CDR answer time %r not understood", uniqueid, value)
    return answers


async def _list(link: AmiLink, action: dict[str, str], *event_names: str) -> list[Message]:
    try:
        reply = await link.send(action, expect_list=True)
    except AmiActionFailed as error:
        log.info("AMI %s: %s not available (%s)", link.name, action["Action"], error.message)
        return []
    return [_message(e) for e in reply.events if e.get("Event") in event_names]


def _message(event: Mapping[str, Any]) -> Message:
    return Message([(str(k), str(v)) for k, v in event.items()])
