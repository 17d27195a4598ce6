"""AMI events about device states, hints and queue members, as changes of a core server's live
state. ``notify`` is off while a sync rebuilds the state from its answers."""

from __future__ import annotations

from bridge.ami.protocol import Message
from bridge.live.server import Change, Member, ServerLive

# FreePBX's DND device (the BLF keys'); its state never sets DND, only makes the key be read.
CUSTOM_DND = "Custom:DND"

# ExtensionStatus(Status) -> device state name (AST_EXTENSION_* bit flags).
HINT_STATES = {
    "-2": "UNKNOWN",
    "-1": "UNKNOWN",
    "0": "NOT_INUSE",
    "1": "INUSE",
    "2": "BUSY",
    "4": "UNAVAILABLE",
    "8": "RINGING",
    "9": "RINGINUSE",
    "16": "ONHOLD",
    "17": "ONHOLD",
}


def device_state(live: ServerLive, event: Message, *, notify: bool = True) -> None:
    device, state = event.exact("Device") or "", event.exact("State") or ""
    if live.device_states.get(device) != state:
        live.device_states[device] = state
        if notify:
            live.notify(Change("device", device))


def dnd_number(event: Message) -> str | None:
    """The extension number of a ``Custom:DND<number>`` device state event, else None."""
    device = event.exact("Device") or ""
    number = device[len(CUSTOM_DND) :] if device.startswith(CUSTOM_DND) else ""
    return number or None


def hint_state(live: ServerLive, event: Message, *, notify: bool = True) -> None:
    number = event.exact("Exten") or ""
    state = HINT_STATES.get(event.exact("Status") or "", "UNKNOWN")
    if live.hint_states.get(number) != state:
        live.hint_states[number] = state
        if notify:
            live.notify(Change("hint", number))


def member(
    live: ServerLive, event: Message, interface_key: str = "Interface", *, notify: bool = True
) -> None:
    """A queue member's status, pause or arrival (QueueStatus's QueueMember on sync, whose
    interface is ``Location``), with what Asterisk 22 says of its pause and its calls."""
    queue = event.exact("Queue") or ""
    interface = event.exact(interface_key) or event.exact("Interface") or ""
    key = (queue, interface)
    old = live.members.get(key)
    new = Member(
        paused=_flag(event.exact("Paused"), old.paused if old else False),
        status=_int(event.exact("Status"), old.status if old else 0),
        dynamic=(event.exact("Membership") or ("dynamic" if old and old.dynamic else ""))
        == "dynamic",
        name=event.exact("MemberName") or event.exact("Name") or (old.name if old else ""),
        state_interface=event.exact("StateInterface") or (old.state_interface if old else ""),
        paused_reason=_text(event.exact("PausedReason"), old.paused_reason if old else ""),
        last_pause=_int(event.exact("LastPause"), old.last_pause if old else 0),
        calls_taken=_int(event.exact("CallsTaken"), old.calls_taken if old else 0),
        last_call=_int(event.exact("LastCall"), old.last_call if old else 0),
        in_call=_flag(event.exact("InCall"), old.in_call if old else False),
    )
    live.members[key] = new
    if notify and new != old:
        live.notify(Change("member", key, "start" if old is None else "change"))


def member_removed(live: ServerLive, event: Message) -> None:
    key = (event.exact("Queue") or "", event.exact("Interface") or "")
    removed = live.members.pop(key, None)
    if removed is not None:
        live.notify(Change("member", key, "end", member=removed))


def _text(value: str | None, default: str) -> str:
    return default if value is None else value


def _flag(value: str | None, default: bool) -> bool:
    return default if value is None else value.strip().lower() in ("1", "true", "yes")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
