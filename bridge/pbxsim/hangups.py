"""How channels end on the simulated PBX, the way the captures show Asterisk 22 ending them.

A channel ends for one of four reasons (``how``):

- ``REMOTE``: its far end hung up: a phone's BYE (``HangupRequest`` Cause 16, without a Cause for
  a caller in Queue()), a cancelled INVITE (Cause 127, TechCause 487), or the other half of its
  Local channel (that half's cause, 0 included).
- ``ACTION``: the ``Hangup`` action.
- ``DIALPLAN``: the ``Hangup()`` application (``SoftHangupRequest`` Cause 16 first).
- ``QUIET``: Asterisk drops it without a request event: an originate's application returned, the
  dialplan ran out, Dial or Queue hang up the leg they called when the bridge breaks, a transfer
  drops the transferer, a ringall member loses (Cause 26).

Then, in this order: what the channel waits in gives up (``waiting``: a ringing Dial is
cancelled, a queue caller abandons); it leaves its bridge (the bridge's ``on_break`` first: a
queue's ``AgentComplete``); a channel that runs the dialplan sees a remote hang-up or the action
as ``SoftHangupRequest`` (Cause 16), a channel that runs an originate's application or was called
by Dial/Queue does not; the other half of a Local channel gets its ``HangupRequest``; ``Hangup``
with the channel's cause (16 once it was bridged, else the cause it was given, else 0); then the
other half ends. The peer left in the bridge leaves too (``BridgeDestroy``) and goes on as what
it runs: a called leg is dropped, an originate's Dial returns (its channel ends), a dialplan goes
on at its next priority (``resume``). Device states go out after the whole burst, repeats of one
device together, as Asterisk's device state thread sends them after the channel events.
"""

from __future__ import annotations

from collections.abc import Callable

from bridge.pbxsim.bridges import BridgeOps
from bridge.pbxsim.channels import RUNS_DIALPLAN, Channel
from bridge.pbxsim.legs import ChannelOps

REMOTE, ACTION, DIALPLAN, QUIET = "remote", "action", "dialplan", "quiet"
Waiting = Callable[[Channel], None]


class Hangups:
    """Ends channels with their events; ``resume`` goes on with a dialplan whose Dial or Queue
    returned (set by the dialplan runner), ``settled`` runs after each burst."""

    def __init__(self, legs: ChannelOps, bridges: BridgeOps) -> None:
        self.legs = legs
        self.bridges = bridges
        self.waiting: dict[str, Waiting] = {}
        self.resume: Callable[[Channel], None] = lambda channel: self.end(channel, QUIET)
        self.settled: list[Callable[[], None]] = []
        self._ending: set[str] = set()
        self._depth = 0

    def live(self, channel: Channel | None) -> bool:
        """True while ``channel`` exists and is not ending."""
        return (
            channel is not None
            and channel.name in self.legs.state.channels
            and channel.name not in self._ending
        )

    def end(
        self, channel: Channel, how: str, cause: int | None = 16, *, tech_cause: int = 0,
        requested: bool = False,
    ) -> None:  # fmt: skip
        """End ``channel`` for reason ``how`` (``cause``: a REMOTE request's Cause, None for none;
        ``requested``: its ``HangupRequest`` went out already)."""
        if not self.live(channel):
            return
        self._ending.add(channel.name)
        self._depth += 1
        try:
            with self.legs.state.deferred():
                self._end(channel, how, cause, tech_cause, requested)
        finally:
            self._ending.discard(channel.name)
            self._depth -= 1
        if not self._depth:
            for settle in self.settled:
                settle()

    def _end(
        self, channel: Channel, how: str, cause: int | None, tech_cause: int, requested: bool
    ) -> None:
        legs = self.legs
        if how == REMOTE and not requested:
            legs.request_hangup(channel, cause, tech_cause=tech_cause)
        if how in (REMOTE, QUIET) and cause and not channel.hangupcause:
            channel.hangupcause = cause
        if how == DIALPLAN:
            channel.hangupcause = channel.hangupcause or 16
            legs.request_hangup(channel, 16, soft=True)
        waiting = self.waiting.pop(channel.name, None)
        if waiting is not None:
            waiting(channel)
        rest = self._break(channel) if channel.bridge_id else []
        if how in (REMOTE, ACTION) and channel.runs == RUNS_DIALPLAN:
            legs.request_hangup(channel, 16, soft=True)
        partner = channel.partner
        if self.live(partner) and partner is not None:
            legs.request_hangup(partner, channel.hangupcause)
            legs.hangup(channel, channel.hangupcause, tech_cause)
            self.end(partner, REMOTE, channel.hangupcause, requested=True)
        else:
            legs.hangup(channel, channel.hangupcause, tech_cause)
        for peer in rest:
            self.after_bridge(peer)

    def leave(self, channel: Channel) -> None:
        """``channel`` leaves its bridge, which breaks: the peer leaves too and goes on."""
        for peer in self._break(channel):
            self.after_bridge(peer)

    def _break(self, channel: Channel) -> list[Channel]:
        """``channel`` leaves its bridge first, then the others; the others."""
        bridge = self.bridges.bridges.get(channel.bridge_id)
        if bridge is None:
            channel.bridge_id = ""
            return []
        if bridge.on_break is not None:
            on_break, bridge.on_break = bridge.on_break, None
            on_break(channel)
        for each in bridge.channels:
            self.bridges.varset(each, "BRIDGEPEER", "")
        rest = [c for c in bridge.channels if c is not channel]
        for each in (channel, *rest):
            if each.held:  # a held channel leaving its bridge is taken off hold
                each.held = False
                self.legs.moh(each, start=False)
            self.bridges.leave(bridge, each)
        self.bridges.destroy(bridge)
        return rest

    def after_bridge(self, peer: Channel) -> None:
        """What a channel does once its bridge broke: see the module docstring."""
        if peer.runs == RUNS_DIALPLAN:
            self.resume(peer)
        else:
            self.end(peer, QUIET)
