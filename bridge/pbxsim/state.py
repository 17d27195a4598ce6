"""The simulated PBX's live state: AstDB, device states, hints, queue members, channels.

Every change that Asterisk would announce goes out through the ``emit`` callback as an event:
``DeviceStateChange`` when a device's state is published (``ast_devstate_changed``): for a
cachable device (PJSIP endpoints, ``Custom:``, ``Queue:``) only when it differs from what the
device state cache holds, for a ``Local/`` device (``AST_FLAG_DISABLE_DEVSTATE_CACHE``) every
time; ``ExtensionStatus`` only when a hint's state changes, ``QueueMemberStatus`` and the
``Queue:<name>_avail`` device only when a member's status changes. The cache (``cache``) is what
``DeviceStateList`` reports.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from types import MappingProxyType

from bridge.ami.protocol import Header
from bridge.pbxsim.channels import Channel
from bridge.pbxsim.config import PbxConfig, Queue, QueueMember
from bridge.pbxsim.devstate import aggregate_states, channels_state
from bridge.pbxsim.events import event
from bridge.pbxsim.members import member_available, member_status_event

DEVICE_STATES = (
    "UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE",
    "ONHOLD",
)  # fmt: skip
_EXTENSION_STATE = MappingProxyType({
    "UNKNOWN": 0, "NOT_INUSE": 0, "INUSE": 1, "BUSY": 2, "INVALID": 4, "UNAVAILABLE": 4,
    "RINGING": 8, "RINGINUSE": 9, "ONHOLD": 16,
})  # fmt: skip
_EXTENSION_TEXT = MappingProxyType({
    -1: "Unknown", 0: "Idle", 1: "InUse", 2: "Busy", 4: "Unavailable", 8: "Ringing",
    9: "InUse&Ringing", 16: "Hold", 17: "InUse&Hold",
})  # fmt: skip
Emit = Callable[[list[Header]], object]


def extension_state_text(status: int) -> str:
    """Asterisk's ``StatusText`` of an extension state number."""
    return _EXTENSION_TEXT.get(status, "Unknown")


class PbxState:
    """State shared by every session of one simulated PBX."""

    def __init__(self, config: PbxConfig, emit: Emit) -> None:
        self.config = config
        self.astdb: dict[str, str] = {}
        self.device_states: dict[str, str] = {}
        self.globals: dict[str, str] = {}
        self.channels: dict[str, Channel] = {}
        self._emit = emit
        self.cache: dict[str, str] = {}  # the device state cache: last state of cachable devices
        self._hint_status: dict[tuple[str, str], int] = {}
        self._deferred: dict[str, int] | None = None
        self._local_sequence = 0
        self._uniqueid_sequence = 0

    def emit(self, headers: list[Header]) -> None:
        """Broadcast one event to the sessions that take it."""
        self._emit(headers)

    # -- identifiers ---------------------------------------------------------------------------
    def next_local_id(self) -> str:
        """The next Local channel number, as the 8 hex digits of ``Local/x@y-0000001a;1``."""
        value, self._local_sequence = self._local_sequence, self._local_sequence + 1
        return f"{value:08x}"

    def next_uniqueid(self) -> str:
        """The next channel Uniqueid: ``<epoch seconds>.<sequence>``."""
        value, self._uniqueid_sequence = self._uniqueid_sequence, self._uniqueid_sequence + 1
        return f"{int(time.time())}.{value}"

    # -- device and extension states -----------------------------------------------------------
    def device_state(self, device: str) -> str:
        """A device's state: explicit (set by Setvar or a test) first, then derived."""
        explicit = self.device_states.get(device)
        if explicit is not None:
            return explicit
        if device.startswith("Queue:") and device.endswith("_avail"):
            queue = self.config.queues.get(device[6:-6])
            return "INUSE" if queue is None or not self._has_available(queue) else "NOT_INUSE"
        if device.startswith("Custom:"):
            return "UNKNOWN"
        channels = [channel for channel in self.channels.values() if channel.device == device]
        if device.startswith("Local/"):  # core_local.c: in use while any of its channels lives
            exten, _, context = device[6:].partition("/")[0].partition("@")
            if self.config.dialplan.apps(context, exten) is None:
                return "INVALID"
            return "INUSE" if channels else "NOT_INUSE"
        return channels_state(channels)

    def extension_state(self, context: str, exten: str) -> tuple[str, int]:
        """``(hint, status)`` of an extension; status -1 when it has no hint."""
        hint = self.config.dialplan.hint(context, exten)
        if not hint:
            return "", -1
        states = [self.device_state(device) for device in hint.split("&")]
        return hint, _EXTENSION_STATE.get(aggregate_states(states), -1)

    def set_device_state(self, device: str, state: str) -> None:
        """Set a device's state explicitly (``Custom:`` ones are kept in AstDB too) and publish."""
        self.device_states[device] = state
        if device.startswith("Custom:"):
            self.astdb[f"/CustomDevstate/{device[7:]}"] = state
        self.publish(device)

    def remember(self, device: str, state: str) -> None:
        """A state the device state cache already holds, set long ago (no events)."""
        self.device_states[device] = self.cache[device] = state
        self.sync()

    def publish(self, device: str, repeat: int = 1) -> None:
        """Announce a device's state as Asterisk does (see the module docstring)."""
        if self._deferred is not None:
            self._deferred[device] = self._deferred.get(device, 0) + repeat
            return
        self.publish_device(device, repeat)
        self.publish_members(device)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold :meth:`publish` back until the outermost block ends, then publish each device
        once (its repeats together), in order: Asterisk's device state thread works through
        its queue after the channel events of a burst."""
        if self._deferred is not None:
            yield
            return
        self._deferred = {}
        try:
            yield
        finally:
            queued, self._deferred = self._deferred, None
            for device, repeat in queued.items():
                self.publish(device, repeat)

    def publish_device(self, device: str, repeat: int = 1) -> None:
        """``ExtensionStatus`` of changed hints, then ``DeviceStateChange``: ``repeat`` times for
        a Local device, once (and only if it changed) for a cachable one."""
        state = self.device_state(device)
        self._publish_hints(device)
        if not device.startswith("Local/"):
            if self.cache.get(device) == state:
                return
            self.cache[device] = state
            repeat = 1
        for _ in range(repeat):
            self._emit(event("DeviceStateChange", "call", [("Device", device), ("State", state)]))

    def publish_members(self, device: str) -> None:
        """``QueueMemberStatus`` of members on ``device`` whose status changed, and availability."""
        for queue in self.config.queues.values():
            changed = [m for m in queue.members if m.device == device and self._restate(m)]
            for member in changed:
                self._emit(member_status_event(queue, member))
            if changed:
                self.publish_avail(queue)

    def sync(self) -> None:
        """Take the current hint and member states as known, without events (at start-up): the
        cache gets the PJSIP endpoints (and the trunk), the config's ``devices`` and the
        ``Custom:`` states kept in the AstDB."""
        endpoints = [*self.config.endpoints, self.config.trunk] if self.config.endpoints else []
        for device, state in self.config.devices.items():
            self.device_states[device] = state
        for key, value in self.astdb.items():
            if key.startswith("/CustomDevstate/"):
                self.device_states.setdefault("Custom:" + key[16:], value)
        for device in [*(f"PJSIP/{e}" for e in endpoints), *self.device_states]:
            self.cache[device] = self.device_state(device)
        for context, exten, _ in self.config.dialplan.hints():
            self._hint_status[(context, exten)] = self.extension_state(context, exten)[1]
        for queue in self.config.queues.values():
            for member in queue.members:
                self._restate(member)
            self.cache[f"Queue:{queue.name}_avail"] = self.device_state(f"Queue:{queue.name}_avail")

    def _publish_hints(self, device: str) -> None:
        for context, exten, hint in self.config.dialplan.hints():
            if device not in hint.split("&"):
                continue
            status = self.extension_state(context, exten)[1]
            if self._hint_status.get((context, exten)) == status:
                continue
            self._hint_status[(context, exten)] = status
            self._emit(
                event(
                    "ExtensionStatus",
                    "call",
                    [
                        ("Exten", exten),
                        ("Context", context),
                        ("Hint", hint),
                        ("Status", str(status)),
                        ("StatusText", extension_state_text(status)),
                    ],
                )
            )

    def _restate(self, member: QueueMember) -> bool:
        status = DEVICE_STATES.index(self.device_state(member.device))
        changed = member.status is not None and member.status != status
        member.status = status
        return changed

    def _has_available(self, queue: Queue) -> bool:
        return any(member_available(m) for m in queue.members)

    def publish_avail(self, queue: Queue) -> None:
        """``DeviceStateChange`` of ``Queue:<name>_avail`` when it changed."""
        self.publish_device(f"Queue:{queue.name}_avail")
