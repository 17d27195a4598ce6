"""LiveUpdater: the one place where AMI events become changes of a core server's live state.

Every event name the live state follows is bound in :data:`LiveUpdater.bindings`. While a
(re)sync runs, events are applied as usual and also kept; when the sync's answers are in, the
state is rebuilt from them and the kept events are replayed on top, in order, so that nothing
that happened during the sync is lost (each event carries the full state it sets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bridge.ami.protocol import Message
from bridge.live.channels import ChannelTable, parse_duration
from bridge.live.server import Change, Member, ServerLive
from bridge.settings import DndSettings

Handler = Callable[["LiveUpdater", Message], None]
CUSTOM_DND = "Custom:DND"


class LiveUpdater:
    def __init__(self, live: ServerLive, dnd: DndSettings) -> None:
        self.live = live
        self._dnd = dnd
        self._kept: list[tuple[str, Message]] | None = None

    @property
    def event_names(self) -> Iterable[str]:
        return BINDINGS.keys()

    def __call__(self, _core_server_id: str, event: Message) -> None:
        name = event.fields.get("Event") or ""
        handler = BINDINGS.get(name)
        if handler is None:
            return
        if self._kept is not None:
            self._kept.append((name, event))
        handler(self, event)

    # -- sync ------------------------------------------------------------------------------------
    def begin_sync(self) -> None:
        self._kept = []

    def finish_sync(
        self,
        dnd: dict[str, bool],
        devices: Iterable[Message],
        hints: Iterable[Message],
        channels: Iterable[Message],
        members: Iterable[Message],
    ) -> None:
        live = self.live
        kept, self._kept = self._kept or [], None
        previous = live.forgotten_channels
        live.forgotten_channels = None
        live.dnd = dnd
        live.device_states = {}
        live.hint_states = {}
        live.channels = ChannelTable()
        live.members = {}
        for event in devices:
            self._device_state(event, notify=False)
        for event in hints:
            self._hint_state(event, notify=False)
        for event in channels:
            info = live.channels.upsert(event, now=_started(event))
            # A dialled leg runs AppDial (an Originate's runs AppDial2: the phone calls out).
            info.incoming = event.exact("Application") == "AppDial"
            bridge = event.exact("BridgeId")
            if bridge:
                live.channels.enter_bridge(info, bridge)
        live.channels.adopt_history(previous)
        for event in members:
            self._member(event, interface_key="Location", notify=False)
        for name, event in kept:
            BINDINGS[name](self, event)
        live.synced = True
        live.notify(Change("synced"))

    def abandon_sync(self) -> None:
        self._kept = None

    def set_dnd(self, number: str, on: bool) -> None:
        """What the bridge itself just wrote to AstDB (only once the state is known)."""
        if self.live.synced and self.live.dnd.get(number, False) != on:
            self.live.dnd[number] = on
            self.live.notify(Change("dnd", number))

    # -- channels --------------------------------------------------------------------------------
    def _channel_start(self, event: Message) -> None:
        if event.exact("Uniqueid"):
            info = self.live.channels.upsert(event)
            self.live.notify(Change("channel", info.uniqueid, "start", info))

    def _channel_change(self, event: Message) -> None:
        for prefix in ("", "Dest"):  # DialEnd carries both blocks, or only the Dest one
            if event.exact(prefix + "Uniqueid"):
                info = self.live.channels.upsert(event, prefix)
                self.live.notify(Change("channel", info.uniqueid, "change", info))

    def _dial_begin(self, event: Message) -> None:
        table = self.live.channels
        if not event.exact("DestUniqueid"):
            return
        dest = table.upsert(event, "Dest")
        if event.exact("Uniqueid"):
            # Dialled by another channel: incoming. An Originate dials the phone with no caller
            # channel (the phone is then calling out), as the captures show.
            dest.incoming = True
            caller = table.upsert(event)
            caller.peer, dest.peer = dest.uniqueid, caller.uniqueid
            self.live.notify(Change("channel", caller.uniqueid, "change", caller))
        self.live.notify(Change("channel", dest.uniqueid, "change", dest))

    def _bridge_enter(self, event: Message) -> None:
        table = self.live.channels
        if not event.exact("Uniqueid"):
            return
        info = table.upsert(event)
        paired = table.enter_bridge(info, event.exact("BridgeUniqueid") or "")
        for changed in paired or [info]:
            self.live.notify(Change("channel", changed.uniqueid, "change", changed))

    def _bridge_leave(self, event: Message) -> None:
        info = self.live.channels.get(event.exact("Uniqueid"))
        if info is not None:
            self.live.channels.leave_bridge(info)

    def _bridge_destroy(self, event: Message) -> None:
        self.live.channels.drop_bridge(event.exact("BridgeUniqueid") or "")

    def _flag(self, event: Message, attribute: str, value: bool) -> None:
        info = self.live.channels.get(event.exact("Uniqueid"))
        if info is not None and getattr(info, attribute) != value:
            setattr(info, attribute, value)
            self.live.notify(Change("channel", info.uniqueid, "change", info))

    def _hangup(self, event: Message) -> None:
        info = self.live.channels.remove(event.exact("Uniqueid") or "")
        if info is not None:
            self.live.notify(Change("channel", info.uniqueid, "end", info))

    # -- devices, hints, DND ---------------------------------------------------------------------
    def _device_state(self, event: Message, *, notify: bool = True) -> None:
        device, state = event.exact("Device") or "", event.exact("State") or ""
        live = self.live
        if device.startswith(CUSTOM_DND):
            number = device[len(CUSTOM_DND) :]
            on = {self._dnd.device_state_on: True, self._dnd.device_state_off: False}.get(state)
            if on is not None and live.dnd.get(number, False) != on:
                live.dnd[number] = on
                if notify:
                    live.notify(Change("dnd", number))
        if live.device_states.get(device) != state:
            live.device_states[device] = state
            if notify:
                live.notify(Change("device", device))

    def _hint_state(self, event: Message, *, notify: bool = True) -> None:
        number = event.exact("Exten") or ""
        state = HINT_STATES.get(event.exact("Status") or "", "UNKNOWN")
        if self.live.hint_states.get(number) != state:
            self.live.hint_states[number] = state
            if notify:
                self.live.notify(Change("hint", number))

    # -- queue members ---------------------------------------------------------------------------
    def _member(
        self, event: Message, interface_key: str = "Interface", *, notify: bool = True
    ) -> None:
        queue = event.exact("Queue") or ""
        interface = event.exact(interface_key) or event.exact("Interface") or ""
        key = (queue, interface)
        old = self.live.members.get(key)
        member = Member(
            paused=_flag(event.exact("Paused"), old.paused if old else False),
            status=_int(event.exact("Status"), old.status if old else 0),
            dynamic=(event.exact("Membership") or ("dynamic" if old and old.dynamic else ""))
            == "dynamic",
            name=event.exact("MemberName") or event.exact("Name") or (old.name if old else ""),
            state_interface=event.exact("StateInterface") or (old.state_interface if old else ""),
        )
        self.live.members[key] = member
        if notify and member != old:
            self.live.notify(Change("member", key, "start" if old is None else "change"))

    def _member_removed(self, event: Message) -> None:
        key = (event.exact("Queue") or "", event.exact("Interface") or "")
        if self.live.members.pop(key, None) is not None:
            self.live.notify(Change("member", key, "end"))


def _started(event: Message) -> float:
    import time

    return time.time() - parse_duration(event.exact("Duration"))


def _flag(value: str | None, default: bool) -> bool:
    return default if value is None else value.strip().lower() in ("1", "true", "yes")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


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

BINDINGS: dict[str, Handler] = {
    "Newchannel": LiveUpdater._channel_start,
    "Newstate": LiveUpdater._channel_change,
    "NewCallerid": LiveUpdater._channel_change,
    "NewConnectedLine": LiveUpdater._channel_change,
    "DialBegin": LiveUpdater._dial_begin,
    "DialEnd": LiveUpdater._channel_change,
    "BridgeEnter": LiveUpdater._bridge_enter,
    "BridgeLeave": LiveUpdater._bridge_leave,
    "BridgeDestroy": LiveUpdater._bridge_destroy,
    "Hold": lambda u, e: u._flag(e, "on_hold", True),
    "Unhold": lambda u, e: u._flag(e, "on_hold", False),
    "MusicOnHoldStart": lambda u, e: u._flag(e, "on_hold", True),
    "MusicOnHoldStop": lambda u, e: u._flag(e, "on_hold", False),
    "MixMonitorStart": lambda u, e: u._flag(e, "recording", True),
    "MixMonitorStop": lambda u, e: u._flag(e, "recording", False),
    "Hangup": LiveUpdater._hangup,
    "DeviceStateChange": LiveUpdater._device_state,
    "ExtensionStatus": LiveUpdater._hint_state,
    "QueueMemberStatus": LiveUpdater._member,
    "QueueMemberAdded": LiveUpdater._member,
    "QueueMemberPause": LiveUpdater._member,
    "QueueMemberRemoved": LiveUpdater._member_removed,
}
