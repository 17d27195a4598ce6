"""AMI events about channels and bridges, as changes of a core server's live call state."""

from __future__ import annotations

import functools
from collections.abc import Callable

from bridge.ami.protocol import Message
from bridge.live.segments import surviving_half
from bridge.live.server import Change, ServerLive

EventHandler = Callable[[ServerLive, Message], None]


def channel_start(live: ServerLive, event: Message) -> None:
    if event.exact("Uniqueid"):
        info = live.channels.upsert(event)
        live.notify(Change("channel", info.uniqueid, "start", info))


def channel_change(live: ServerLive, event: Message) -> None:
    for prefix in ("", "Dest"):  # DialEnd carries both blocks, or only the Dest one
        if event.exact(prefix + "Uniqueid"):
            info = live.channels.upsert(event, prefix)
            live.notify(Change("channel", info.uniqueid, "change", info))


def dial_begin(live: ServerLive, event: Message) -> None:
    table = live.channels
    if not event.exact("DestUniqueid"):
        return
    dest = table.upsert(event, "Dest")
    if not event.exact("Uniqueid") and not dest.dialled:
        # An Originate dials the phone with no caller channel: the phone is calling out, to
        # the destination the bridge asked for (if it was the bridge)
        dest.dialled = live.originated(dest.device)
    if event.exact("Uniqueid"):
        # Dialled by another channel: incoming. An Originate dials the phone with no caller
        # channel (the phone is then calling out), as the captures show.
        dest.incoming = True
        caller = table.upsert(event)
        caller.peer, dest.peer = dest.uniqueid, caller.uniqueid
        live.notify(Change("channel", caller.uniqueid, "change", caller))
    live.notify(Change("channel", dest.uniqueid, "change", dest))


def bridge_enter(live: ServerLive, event: Message) -> None:
    table = live.channels
    if not event.exact("Uniqueid"):
        return
    info = table.upsert(event)
    paired = table.enter_bridge(info, event.exact("BridgeUniqueid") or "")
    for changed in paired or [info]:
        live.notify(Change("channel", changed.uniqueid, "change", changed))


def bridge_leave(live: ServerLive, event: Message) -> None:
    info = live.channels.get(event.exact("Uniqueid"))
    if info is not None:
        live.channels.leave_bridge(info)


def bridge_destroy(live: ServerLive, event: Message) -> None:
    live.channels.drop_bridge(event.exact("BridgeUniqueid") or "")


def set_flag(attribute: str, value: bool, live: ServerLive, event: Message) -> None:
    """Hold, music on hold, recording: a flag of the channel."""
    info = live.channels.get(event.exact("Uniqueid"))
    if info is not None and getattr(info, attribute) != value:
        setattr(info, attribute, value)
        live.notify(Change("channel", info.uniqueid, "change", info))


def blind_transfer(live: ServerLive, event: Message) -> None:
    """The transferee was sent to an extension: it calls that number now, from nobody."""
    info = live.channels.get(event.exact("TransfereeUniqueid"))
    target = event.exact("Extension") or ""
    if info is not None and event.exact("Result") == "Success":
        info.incoming, info.dialled = False, target
        table = live.channels
        peer = table.get(info.peer)
        if peer is not None and peer.peer == info.uniqueid:
            peer.peer = None
        info.peer = None
        live.notify(Change("channel", info.uniqueid, "change", info))


def hangup(live: ServerLive, event: Message) -> None:
    info = live.channels.remove(event.exact("Uniqueid") or "")
    if info is not None:
        heir = surviving_half(info, live)
        if heir is not None:
            live.channels.hand_over(info, heir)
        live.notify(Change("channel", info.uniqueid, "end", info))


def _flag(attribute: str, value: bool) -> EventHandler:
    return functools.partial(set_flag, attribute, value)


CALL_EVENTS: dict[str, EventHandler] = {
    "Newchannel": channel_start,
    "Newstate": channel_change,
    "NewCallerid": channel_change,
    "NewConnectedLine": channel_change,
    "DialBegin": dial_begin,
    "DialEnd": channel_change,
    "BridgeEnter": bridge_enter,
    "BridgeLeave": bridge_leave,
    "BridgeDestroy": bridge_destroy,
    "Hold": _flag("on_hold", True),
    "Unhold": _flag("on_hold", False),
    "MusicOnHoldStart": _flag("on_hold", True),
    "MusicOnHoldStop": _flag("on_hold", False),
    "MixMonitorStart": _flag("recording", True),
    "MixMonitorStop": _flag("recording", False),
    "BlindTransfer": blind_transfer,
    "Hangup": hangup,
}
