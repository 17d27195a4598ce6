"""One call played on the simulated PBX, as the scenario API hands it to tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.pbxsim.bridges import Bridge
from bridge.pbxsim.channels import Channel


@dataclass(slots=True, eq=False)
class SimCall:
    """One call: the ``caller`` channel, the ``callee`` channel it dialed, and their bridge.

    ``helpers`` are further channels of the call outside the bridge (the ``;2`` half of a Local
    callee); ``ringing`` the legs a queue rings at once. ``queue``/``member``: the queue and the
    member interface of a queue call. A call of one channel (an outside number the dialplan
    answers itself, a feature code) has no callee.
    """

    caller: Channel
    callee: Channel | None = None
    bridge: Bridge | None = None
    helpers: list[Channel] = field(default_factory=list)
    ringing: list[Channel] = field(default_factory=list)
    queue: str = ""
    member: str = ""
    answered: bool = False
    ended: bool = False
    answered_at: float = 0.0
    hold_time: int = 0

    @property
    def channels(self) -> list[Channel]:
        """Every channel of the call, caller first."""
        return [c for c in (self.caller, self.callee, *self.helpers) if c is not None]

    def other(self, channel: Channel) -> Channel:
        """The bridged party facing ``channel``."""
        if self.callee is None:
            raise ValueError("the call has no callee")
        return self.callee if channel is self.caller else self.caller
