"""LiveUpdater: the one place where AMI events become changes of a core server's live state.

Every event name the live state follows is bound in :meth:`LiveUpdater.bindings`: the call
events of :mod:`bridge.live.call_events`, the device, hint and queue member events of
:mod:`bridge.live.state_events`. While a (re)sync runs, events are applied as usual and also
kept; when the sync's answers are in, the state is rebuilt from them and the kept events are
replayed on top, in order, so that nothing that happened during the sync is lost (each event
carries the full state it sets).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable

from bridge.ami.protocol import Message
from bridge.live import state_events
from bridge.live.call_events import CALL_EVENTS, EventHandler
from bridge.live.channels import ChannelTable, parse_duration
from bridge.live.server import Change, ServerLive
from bridge.settings import DndSettings


class LiveUpdater:
    def __init__(self, live: ServerLive, dnd: DndSettings) -> None:
        self.live = live
        self._device_state = functools.partial(state_events.device_state, dnd)
        self._bindings: dict[str, EventHandler] = {
            **CALL_EVENTS,
            "DeviceStateChange": self._device_state,
            "ExtensionStatus": state_events.hint_state,
            "QueueMemberStatus": state_events.member,
            "QueueMemberAdded": state_events.member,
            "QueueMemberPause": state_events.member,
            "QueueMemberRemoved": state_events.member_removed,
        }
        self._kept: list[tuple[EventHandler, Message]] | None = None

    @property
    def event_names(self) -> Iterable[str]:
        return self._bindings.keys()

    def __call__(self, _core_server_id: str, event: Message) -> None:
        handler = self._bindings.get(event.fields.get("Event") or "")
        if handler is None:
            return
        if self._kept is not None:
            self._kept.append((handler, event))
        handler(self.live, event)

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
            self._device_state(live, event, notify=False)
        for event in hints:
            state_events.hint_state(live, event, notify=False)
        for event in channels:
            info = live.channels.upsert(
                event, now=time.time() - parse_duration(event.exact("Duration"))
            )
            # A dialled leg runs AppDial (an Originate's runs AppDial2: the phone calls out).
            info.incoming = event.exact("Application") == "AppDial"
            bridge = event.exact("BridgeId")
            if bridge:
                live.channels.enter_bridge(info, bridge)
        live.channels.adopt_history(previous)
        for event in members:
            state_events.member(live, event, interface_key="Location", notify=False)
        for handler, event in kept:
            handler(live, event)
        live.synced = True
        live.notify(Change("synced"))

    def abandon_sync(self) -> None:
        self._kept = None

    def set_dnd(self, number: str, on: bool) -> None:
        """What the bridge itself just wrote to AstDB (only once the state is known)."""
        if self.live.synced and self.live.dnd.get(number, False) != on:
            self.live.dnd[number] = on
            self.live.notify(Change("dnd", number))
