"""Originated calls of the simulated PBX: the channels and the events a real call gives.

A ``Local/<exten>@<context>`` channel follows the ``call_event_stream`` and ``originate_failure``
captures: halves ``;1`` and ``;2``, caller ID events, ``LocalBridge``, ``DialBegin``/``DialEnd``,
dialplan steps as ``Newexten``, device and queue member states, then the hangup burst. Any other
technology (``PJSIP/4224``) is one channel with the same kinds of events (not captured: shape
only); when it fails no channel is created at all, only ``OriginateResponse``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bridge.pbxsim.channels import (
    ANSWERED,
    CALLING_PRES,
    UNKNOWN,
    Channel,
    OriginateRequest,
    channel_event,
    dial,
    hangup_event,
    local_bridge,
    originate_response,
    split_callerid,
)
from bridge.pbxsim.state import Emit, PbxState


@dataclass(slots=True)
class Call:
    """One originated call and its live channels (``;1`` first for a Local call)."""

    request: OriginateRequest
    channels: list[Channel]
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    ended: bool = False


class CallFlows:
    """Emits the events of originated calls and keeps their channels in :class:`PbxState`."""

    def __init__(self, state: PbxState, emit: Emit) -> None:
        self._state = state
        self._emit = emit

    def create(self, request: OriginateRequest, now: float) -> Call:
        """Name the call's channels (not yet announced)."""
        tech_resource = request.channel
        number = self._state.next_local_id()
        if tech_resource.startswith("Local/"):
            exten, _, context = tech_resource[6:].partition("/")[0].partition("@")
            device = f"Local/{exten}@{context}"
            one = Channel(f"{device}-{number};1", "", "", device, context, exten, created=now)
            one.uniqueid = one.linkedid = self._state.next_uniqueid()
            two = Channel(f"{device}-{number};2", self._state.next_uniqueid(), one.uniqueid,
                          device, context, exten, state=4, created=now)  # fmt: skip
            return Call(request, [one, two])
        uniqueid = self._state.next_uniqueid()
        single = Channel(f"{tech_resource}-{number}", uniqueid, uniqueid, tech_resource,
                         request.context or "default", "s", created=now)  # fmt: skip
        return Call(request, [single])

    def answer(self, call: Call, *, report: bool) -> None:
        """The events of a call that is set up and answered (``report``: OriginateResponse)."""
        first = call.channels[0]
        self._announce(call)
        if len(call.channels) == 2:
            two = call.channels[1]
            self._emit(local_bridge(first, two))
            self._emit(dial("DialBegin", first, ("DialString", f"{first.exten}@{first.context}")))
            self.step(two, 1)
            two.state = first.state = 6
            self._emit(channel_event("Newstate", two))
        else:
            resource = call.request.channel.partition("/")[2]
            self._emit(dial("DialBegin", first, ("DialString", resource)))
            first.state = 5
            self._emit(channel_event("Newstate", first))
            first.state = 6
        self._emit(channel_event("Newstate", first))
        self._emit(dial("DialEnd", first, ("DialStatus", "ANSWER")))
        self._state.publish_device(first.device, repeat=len(call.channels))
        request = call.request
        if request.application:
            first.application, first.app_data = request.application, request.data
        else:
            first.context, first.exten = request.context, request.exten
            self.step(first, 1)
        if report:
            self._emit(originate_response(request, first, ANSWERED))
        if not request.application:
            self.step(first, 2)
        self._state.publish_members(first.device)
        if len(call.channels) == 2:
            self.step(call.channels[1], 2)

    def fail(self, call: Call, reason: int, *, report: bool) -> None:
        """The events of a call that cannot be set up (``report``: OriginateResponse)."""
        if len(call.channels) == 1:
            if report:
                self._emit(originate_response(call.request, None, reason))
            return
        one, two = call.channels
        self._announce(call)
        self.forget(call)
        self._emit(hangup_event(two, 0))
        if report:  # as captured: async and sync interleave differently
            self._emit(originate_response(call.request, None, reason))
            self._state.publish_device(one.device)
            self._emit(hangup_event(one, 0))
            self._state.publish_device(one.device)
        else:
            self._emit(hangup_event(one, 0))
            self._state.publish_device(one.device, repeat=2)

    def hang_up(self, call: Call, *, by_dialplan: bool) -> None:
        """The hangup burst: ``;1`` (or the only channel) ends and takes ``;2`` with it."""
        if call.ended:
            return
        call.ended = True
        first = call.channels[0]
        if by_dialplan and not call.request.application:
            self.step(first, first.priority + 1, only="Hangup")
        self.forget(call)
        self._emit(channel_event("SoftHangupRequest", first, ("Cause", "16")))
        if len(call.channels) == 2:
            two = call.channels[1]
            self._emit(channel_event("HangupRequest", two, ("Cause", "16")))
            self._emit(hangup_event(first, 16))
            self._emit(channel_event("SoftHangupRequest", two, ("Cause", "16")))
            self._emit(hangup_event(two, 16))
        else:
            self._emit(hangup_event(first, 16))
        self._state.publish_device(first.device, repeat=len(call.channels))
        self._state.publish_members(first.device)

    def step(self, channel: Channel, priority: int, only: str = "") -> bool:
        """Run ``priority`` of the channel's extension: a ``Newexten`` event (False if none)."""
        apps = self._state.config.dialplan.apps(channel.context, channel.exten) or []
        if not 0 < priority <= len(apps) or (only and apps[priority - 1][0] != only):
            return False
        channel.priority = priority
        channel.application, channel.app_data = apps[priority - 1]
        self._emit(
            channel_event(
                "Newexten", channel, ("Extension", channel.exten),
                ("Application", channel.application), ("AppData", channel.app_data),
                privilege="dialplan",
            )
        )  # fmt: skip
        return True

    def _announce(self, call: Call) -> None:
        for channel in call.channels:
            self._state.channels[channel.name] = channel
            self._emit(channel_event("Newchannel", channel))
        first = call.channels[0]
        if len(call.channels) == 2:
            first.application, first.app_data = "AppDial2", "(Outgoing Line)"
            self._emit(
                channel_event(
                    "Newexten", first, ("Extension", first.exten), ("Application", "AppDial2"),
                    ("AppData", "(Outgoing Line)"), privilege="dialplan",
                )
            )  # fmt: skip
        number, name = split_callerid(call.request.callerid)
        if (number, name) == (UNKNOWN, UNKNOWN):
            return
        for channel in call.channels:
            channel.cid_num, channel.cid_name = number, name
            if channel is not first:  # ;2 has its connected line when its caller ID is set
                channel.connected_num, channel.connected_name = number, name
            self._emit(channel_event("NewCallerid", channel, ("CID-CallingPres", CALLING_PRES)))
            channel.connected_num, channel.connected_name = number, name
            self._emit(channel_event("NewConnectedLine", channel))

    def forget(self, call: Call) -> None:
        """Drop the call's channels from the live state (no events)."""
        for channel in call.channels:
            self._state.channels.pop(channel.name, None)
