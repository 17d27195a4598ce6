"""LiveUpdater: the one place where AMI events become changes of a core server's live state.

Every event name the live state follows is bound in :meth:`LiveUpdater.bindings`: the call
events of :mod:`bridge.live.call_events`, the device, hint and queue member events of
:mod:`bridge.live.state_events`. While a (re)sync runs, events are applied as usual and also
kept; when the sync's answers are in, the state is rebuilt from them and the kept events are
replayed on top, in order, so that nothing that happened during the sync is lost (each event
carries the full state it sets).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from bridge.ami.protocol import Message
from bridge.live import queue_callers, state_events
from bridge.live.call_events import CALL_EVENTS, EventHandler
from bridge.live.channels import ChannelTable, parse_duration
from bridge.live.server import Change, ServerLive
from bridge.settings import DndSettings

DIALLED = ("AppDial", "AppQueue")


class LiveUpdater:
    """``on_dnd_state(number)``: a ``Custom:DND<number>`` device state changed, so the AstDB key
    is to be read again (the device state itself never sets ``dnd``; see ``bridge.live.dnd``)."""

    def __init__(
        self,
        live: ServerLive,
        dnd: DndSettings,
        on_dnd_state: Callable[[str], None] | None = None,
    ) -> None:
        self.live = live
        self._dnd = dnd
        self._on_dnd_state = on_dnd_state
        self._bindings: dict[str, EventHandler] = {
            **CALL_EVENTS,
            "DeviceStateChange": self._device_state,
            "ExtensionStatus": state_events.hint_state,
            "QueueMemberStatus": state_events.member,
            "QueueMemberAdded": state_events.member,
            "QueueMemberPause": state_events.member,
            "QueueMemberRemoved": state_events.member_removed,
            "QueueCallerJoin": queue_callers.caller_join,
            "QueueCallerAbandon": queue_callers.caller_abandon,
            "QueueCallerLeave": queue_callers.caller_leave,
            "AgentConnect": queue_callers.agent_connect,
            "VarSet": queue_callers.queue_status_variable,
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

    def _device_state(self, live: ServerLive, event: Message) -> None:
        state_events.device_state(live, event)
        number = state_events.dnd_number(event)
        if number is not None and self._on_dnd_state is not None:
            self._on_dnd_state(number)

    def begin_sync(self) -> None:
        self._kept = []

    def finish_sync(
        self,
        dnd: Mapping[str, str | None],
        devices: Iterable[Message],
        hints: Iterable[Message],
        channels: Iterable[Message],
        members: Iterable[Message],
        *,
        entries: Iterable[Message] = (),
        states: Mapping[str, str] | None = None,
        answers: Mapping[str, float | None] | None = None,
    ) -> None:
        """The state rebuilt from the sync's answers: ``dnd`` what each DND key holds, the
        lists' events, ``states`` what ``DEVICE_STATE()`` said of devices the list left out,
        ``answers`` the CDR answer time (None: not answered) of channels by Uniqueid,
        ``entries`` QueueStatus's waiting callers."""
        live = self.live
        kept, self._kept = self._kept or [], None
        previous = live.forgotten_channels
        live.forgotten_channels = None
        live.dnd = self._dnd_values(dnd)
        live.device_states = {}
        live.hint_states = {}
        live.channels = ChannelTable()
        live.members = {}
        for event in devices:
            state_events.device_state(live, event, notify=False)
        live.device_states.update(states or {})
        for event in hints:
            state_events.hint_state(live, event, notify=False)
        answers = answers or {}
        for event in channels:
            info = live.channels.upsert(
                event, now=time.time() - parse_duration(event.exact("Duration"))
            )
            # Someone else's call made it: Dial's leg runs AppDial, Queue's AppQueue (an
            # Originate's runs AppDial2: the phone calls out).
            info.incoming = event.exact("Application") in DIALLED
            if info.uniqueid in answers:
                info.answered = answers[info.uniqueid]
            bridge = event.exact("BridgeId")
            if bridge:
                live.channels.enter_bridge(info, bridge)
        live.channels.adopt_history(previous)
        for event in members:
            state_events.member(live, event, interface_key="Location", notify=False)
        before, live.forgotten_callers = live.forgotten_callers, {}
        queue_callers.rebuild_callers(live, entries, before)
        for handler, event in kept:
            handler(live, event)
        live.synced = True
        live.notify(Change("synced"))

    def abandon_sync(self) -> None:
        self._kept = None

    def set_dnd(self, number: str, on: bool) -> None:
        """What the bridge itself just wrote to AstDB (only once the state is known)."""
        self._set_dnd({number: on}, whole_family=False)

    def dnd_read(self, values: Mapping[str, str | None], *, whole_family: bool = False) -> None:
        """What AstDB holds in some DND keys (None: no key), or with ``whole_family`` in every
        key of the family (numbers left out have none); ``extension.dnd`` for each ``dnd`` that
        changed. Ignored until synced."""
        self._set_dnd(self._dnd_values(values), whole_family=whole_family)

    def _dnd_values(self, values: Mapping[str, str | None]) -> dict[str, bool]:
        # On when the key holds [dnd] value; off when it is absent or holds anything else.
        return {number: value == self._dnd.value for number, value in values.items()}

    def _set_dnd(self, values: dict[str, bool], *, whole_family: bool) -> None:
        live = self.live
        if not live.synced:
            return
        old = live.dnd
        new = values if whole_family else {**old, **values}
        live.dnd = new
        for number in sorted(new.keys() | old.keys() if whole_family else values.keys()):
            if new.get(number, False) != old.get(number, False):
                live.notify(Change("dnd", number))
