"""Device state arithmetic of Asterisk 22, for the simulated PBX.

- :func:`aggregate_states` is ``ast_devstate_aggregate_add`` (``main/devicestate.c``): the state
  of a hint over several devices, and of a PJSIP endpoint over its channels.
- :func:`channels_state` is ``chan_pjsip_devicestate`` (``channels/chan_pjsip.c``): an endpoint
  is ``ONHOLD`` for a channel that was put on hold (by the far end), else the channel state
  mapped by ``chan2dev`` (Ring and Up are ``INUSE``, Ringing is ``RINGING``, Down ``NOT_INUSE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

from bridge.pbxsim.channels import Channel

# ast_devstate_aggregate_add's state_order: which state wins when several devices are combined.
_ORDER = MappingProxyType({
    "UNKNOWN": 1, "NOT_INUSE": 3, "INUSE": 6, "BUSY": 7, "INVALID": 0, "UNAVAILABLE": 2,
    "RINGING": 5, "RINGINUSE": 8, "ONHOLD": 4,
})  # fmt: skip
# chan2dev[]: the device state a channel in one of these channel states stands for.
_CHAN2DEV = MappingProxyType({
    0: "NOT_INUSE", 1: "INUSE", 2: "INUSE", 3: "INUSE", 4: "INUSE", 5: "RINGING", 6: "INUSE",
    7: "BUSY", 8: "INUSE", 9: "RINGING",
})  # fmt: skip


def aggregate_states(states: Iterable[str]) -> str:
    """Combine device states as Asterisk does (``INVALID`` for none)."""
    result, ringing, inuse = "INVALID", False, False
    for state in states:
        if state == "RINGING":
            ringing = True
        elif state in ("INUSE", "ONHOLD", "BUSY"):
            inuse = True
        if ringing and inuse:
            result = "RINGINUSE"
        elif _ORDER.get(state, 0) > _ORDER[result]:
            result = state
    return result


def channel_device_state(channel: Channel) -> str:
    """What one channel contributes to its endpoint's state."""
    return "ONHOLD" if channel.held else _CHAN2DEV.get(channel.state, "UNKNOWN")


def channels_state(channels: Iterable[Channel], idle: str = "NOT_INUSE") -> str:
    """An endpoint's state from its live channels (``idle`` when it has none)."""
    result = aggregate_states(channel_device_state(channel) for channel in channels)
    return idle if result == "INVALID" else result
