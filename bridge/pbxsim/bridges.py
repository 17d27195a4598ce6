"""Bridges of the simulated PBX and their events (``main/manager_bridges.c``, Asterisk 22).

Header blocks as the ``queue_call_events`` capture shows them: ``BridgeCreate``,
``BridgeEnter``/``BridgeLeave`` (bridge block, then the channel's snapshot block) and
``BridgeDestroy``; ``BridgeNumChannels`` counts the channels after the change. A channel that
enters by swapping another one out (an attended transfer) names it in ``SwapUniqueid``, and the
swapped one leaves first, as ``bridge_channel_internal_push_full`` does. Entering a bridge gives
every channel in it the oldest Linkedid of them all (``ast_bridge_channel_update_linkedids``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.ami.protocol import Header
from bridge.pbxsim.channels import Channel, channel_event, channel_headers
from bridge.pbxsim.events import event
from bridge.pbxsim.state import PbxState


@dataclass(slots=True, eq=False)
class Bridge:
    """A basic two-party bridge (what Dial and Queue create) and the channels in it.

    ``on_break``: called with the channel that leaves first, before it leaves (a queue call's
    ``AgentComplete``).
    """

    uniqueid: str
    channels: list[Channel] = field(default_factory=list)
    type: str = "basic"
    technology: str = "simple_bridge"
    on_break: Callable[[Channel], None] | None = None


def bridge_headers(bridge: Bridge, prefix: str = "") -> list[Header]:
    """The bridge snapshot block (``BridgeUniqueid`` ... ``BridgeVideoSourceMode``)."""
    return [
        (f"{prefix}BridgeUniqueid", bridge.uniqueid),
        (f"{prefix}BridgeType", bridge.type),
        (f"{prefix}BridgeTechnology", bridge.technology),
        (f"{prefix}BridgeCreator", "<unknown>"),
        (f"{prefix}BridgeName", "<unknown>"),
        (f"{prefix}BridgeNumChannels", str(len(bridge.channels))),
        (f"{prefix}BridgeVideoSourceMode", "none"),
    ]


def _linkedid_age(linkedid: str) -> tuple[int, int]:
    seconds, _, sequence = linkedid.partition(".")
    return (int(seconds or 0), int(sequence or 0))


class BridgeOps:
    """Creates, joins, leaves and destroys bridges, with their events, in :class:`PbxState`."""

    def __init__(self, state: PbxState) -> None:
        self._state = state
        self.bridges: dict[str, Bridge] = {}

    def create(self) -> Bridge:
        """A new empty bridge (``BridgeCreate``)."""
        bridge = Bridge(str(uuid.uuid4()))
        self.bridges[bridge.uniqueid] = bridge
        self._state.emit(event("BridgeCreate", "call", bridge_headers(bridge)))
        return bridge

    def enter(self, bridge: Bridge, channel: Channel, swap: Channel | None = None) -> None:
        """``channel`` joins ``bridge`` (``swap`` leaves it first: ``SwapUniqueid``)."""
        if swap is not None:
            self.leave(bridge, swap)
        bridge.channels.append(channel)
        channel.bridge_id = bridge.uniqueid
        channel.hangupcause = 16  # a bridged channel ends with Normal Clearing
        oldest = min((c.linkedid for c in bridge.channels), key=_linkedid_age)
        for each in bridge.channels:
            each.linkedid = oldest
        extra = [("SwapUniqueid", swap.uniqueid)] if swap is not None else []
        headers = [*bridge_headers(bridge), *channel_headers(channel), *extra]
        self._state.emit(event("BridgeEnter", "call", headers))

    def leave(self, bridge: Bridge, channel: Channel) -> None:
        """``channel`` leaves ``bridge`` (``BridgeLeave``)."""
        if channel in bridge.channels:
            bridge.channels.remove(channel)
        channel.bridge_id = ""
        headers = [*bridge_headers(bridge), *channel_headers(channel)]
        self._state.emit(event("BridgeLeave", "call", headers))

    def destroy(self, bridge: Bridge) -> None:
        """``BridgeDestroy`` of an emptied bridge."""
        self.bridges.pop(bridge.uniqueid, None)
        self._state.emit(event("BridgeDestroy", "call", bridge_headers(bridge)))

    def set_peers(self, bridge: Bridge) -> None:
        """``BRIDGEPEER`` of each channel of a two-party bridge: the other one's name."""
        for channel in bridge.channels:
            others = ",".join(c.name for c in bridge.channels if c is not channel)
            self.varset(channel, "BRIDGEPEER", others)

    def varset(self, channel: Channel, variable: str, value: str) -> None:
        """A channel variable written by Asterisk itself (``VarSet``)."""
        channel.variables[variable] = value
        extra = (("Variable", variable), ("Value", value))
        self._state.emit(channel_event("VarSet", channel, *extra, privilege="dialplan"))
