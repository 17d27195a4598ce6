"""Live state per core server, as far as the API reads it.

AMI event routing (a later part of the bridge) writes here; until a core server's link has synced,
every value reads as unknown: ``dnd`` None, device state ``UNKNOWN``, no call segments, agents'
``paused`` None and ``state`` ``UNKNOWN``. ``version`` moves on every change, so answers that
include live values can be cached per version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNKNOWN = "UNKNOWN"


@dataclass(slots=True)
class ServerLiveState:
    ami_status: str = "disconnected"
    synced: bool = False
    version: int = 0
    dnd: dict[str, bool] = field(default_factory=dict)
    device_states: dict[str, str] = field(default_factory=dict)
    # (queue identifier, member interface) -> (paused, Asterisk device state name)
    queue_members: dict[tuple[str, str], tuple[bool, str]] = field(default_factory=dict)

    def dnd_of(self, number: str) -> bool | None:
        if not self.synced:
            return None
        return self.dnd.get(number, False)

    def device_state_of(self, device: str) -> str:
        return self.device_states.get(device, UNKNOWN) if self.synced else UNKNOWN

    def member_of(self, queue: str, interface: str) -> tuple[bool | None, str]:
        """``(paused, state)`` of a queue member; ``(None, UNKNOWN)`` while not known."""
        known = self.queue_members.get((queue, interface)) if self.synced else None
        return known if known is not None else (None, UNKNOWN)

    def call_segments_of(self, device: str) -> list[dict[str, object]]:
        """Call segments of a device's channels; none are kept until AMI events feed them."""
        return []


class LiveState:
    """Every core server's :class:`ServerLiveState`, created on first use."""

    def __init__(self) -> None:
        self._servers: dict[str, ServerLiveState] = {}

    def server(self, core_server_id: str) -> ServerLiveState:
        state = self._servers.get(core_server_id)
        if state is None:
            state = self._servers[core_server_id] = ServerLiveState()
        return state

    def forget(self, core_server_id: str) -> None:
        self._servers.pop(core_server_id, None)
