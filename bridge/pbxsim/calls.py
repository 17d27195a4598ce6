"""Originated calls of the simulated PBX: the channels and the events a real call gives.

A ``Local/<exten>@<context>`` channel follows the ``call_event_stream`` and ``originate_failure``
captures: halves ``;1`` and ``;2``, caller ID events, ``LocalBridge``, ``DialBegin``/``DialEnd``
of the originate (no caller channel), the device states; then ``;1`` runs the originate's
extension (its first ``Newexten`` before ``OriginateResponse``) or its application (``Wait``,
``Dial``: no ``Newexten``), and ``;2`` goes on in its own extension (``Wait``, ``Queue``...).

A PJSIP channel is a click-to-call (``pjsip/originate_to_phone``): the phone is called first
(``AppDial2``, the CallerID set as caller ID and connected line, ``DialBegin`` without caller
channel, Ringing, Up, ``DialEnd``), then it runs the extension (a Dial to the other phone, say).
When one fails no channel is made at all, only ``OriginateResponse``. How calls end: ``hangups``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bridge.pbxsim.channels import (
    ANSWERED,
    CALLING_PRES,
    RUNS_APP,
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
from bridge.pbxsim.hangups import QUIET
from bridge.pbxsim.phone import PhoneCalls


@dataclass(slots=True)
class Call:
    """One originated call and its channels (``;1`` first for a Local call)."""

    request: OriginateRequest
    channels: list[Channel]
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    ended: bool = False


class CallFlows:
    """Emits the events of originated calls and keeps their channels in the PBX's state."""

    def __init__(self, phones: PhoneCalls) -> None:
        self._phones = phones
        self._legs = phones.legs
        self._state = phones.legs.state

    def create(self, request: OriginateRequest) -> Call:
        """Name the call's Local channels (not yet announced); other technologies get their
        channel when they answer."""
        if not request.channel.startswith("Local/"):
            return Call(request, [])
        exten, _, context = request.channel[6:].partition("/")[0].partition("@")
        device, number, now = (
            f"Local/{exten}@{context}",
            self._state.next_local_id(),
            time.monotonic(),
        )
        one = Channel(f"{device}-{number};1", "", "", device, context, exten, created=now)
        one.uniqueid = one.linkedid = self._state.next_uniqueid()
        two = Channel(f"{device}-{number};2", self._state.next_uniqueid(), one.uniqueid,
                      device, context, exten, state=4, created=now)  # fmt: skip
        one.partner, two.partner = two, one
        return Call(request, [one, two])

    def answer(self, call: Call, *, report: bool) -> None:
        """The events of a call that is set up and answered (``report``: OriginateResponse)."""
        if not call.channels:
            self._answer_phone(call, report=report)
            return
        first, two = call.channels
        self._announce(call)
        self._emit(local_bridge(first, two))
        self._emit(dial("DialBegin", first, ("DialString", f"{first.exten}@{first.context}")))
        self._step(two, 1)
        two.state = first.state = 6
        self._emit(channel_event("Newstate", two))
        self._emit(channel_event("Newstate", first))
        self._emit(dial("DialEnd", first, ("DialStatus", "ANSWER")))
        self._state.publish_device(first.device, repeat=2)
        self._run(call, first, report=report)
        self._state.publish_members(first.device)
        self._phones.runner.run(two, 2)
        if call.request.application == "Dial" and self._phones.hangups.live(first):
            self._phones.dial_app(first, call.request.data)

    def _answer_phone(self, call: Call, *, report: bool) -> None:
        request, legs = call.request, self._legs
        device = request.channel
        endpoint = device.partition("/")[2]
        known = endpoint in self._state.config.endpoints
        context = "from-internal" if known else request.context or "default"
        phone = legs.pjsip(
            device, state=0, context=context, exten="s", cid=legs.endpoint_cid(device)
        )
        call.channels.append(phone)
        legs.newexten(phone, "AppDial2", "(Outgoing Line)")
        number, name = split_callerid(request.callerid)
        if (number, name) != (UNKNOWN, UNKNOWN):
            legs.callerid(phone, (number, name))
            legs.connected(phone, (number, name))
        self._emit(dial("DialBegin", phone, ("DialString", endpoint)))
        legs.newstate(phone, 5)
        self._emit(dial("DialState", phone, ("DialStatus", "RINGING")))
        legs.newstate(phone, 6)
        self._emit(dial("DialEnd", phone, ("DialStatus", "ANSWER")))
        self._run(call, phone, report=report)
        if request.application == "Dial" and self._phones.hangups.live(phone):
            self._phones.dial_app(phone, request.data)

    def _run(self, call: Call, first: Channel, *, report: bool) -> None:
        """``first`` runs the originate's extension or application; OriginateResponse."""
        request = call.request
        if request.application:
            first.runs, first.application, first.app_data = (
                RUNS_APP,
                request.application,
                request.data,
            )
        else:
            first.context, first.exten = request.context, request.exten
            self._step(first, 1)
        if report:
            self._emit(originate_response(request, first, ANSWERED))
        if not request.application:
            self._phones.runner.run(first, 2)

    def end(self, call: Call) -> None:
        """The originated channel's wait is over (its Wait, or the application it runs)."""
        first = call.channels[0] if call.channels else None
        if first is None or not self._phones.hangups.live(first):
            return
        if first.application == "Wait":
            self._phones.runner.wait_over(first)
        else:
            self._phones.hangups.end(first, QUIET)

    def fail(self, call: Call, reason: int, *, report: bool) -> None:
        """The events of a call that cannot be set up (``report``: OriginateResponse)."""
        if not call.channels:
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

    def _step(self, channel: Channel, priority: int) -> None:
        """The ``Newexten`` of one priority (its application not run: ``Answer`` on a channel
        that is Up already)."""
        apps = self._state.config.dialplan.apps(channel.context, channel.exten) or []
        if 0 < priority <= len(apps):
            name, data = apps[priority - 1]
            self._legs.newexten(channel, name, self._phones.runner.expand(channel, data),
                                priority=priority)  # fmt: skip

    def _emit(self, headers: list[tuple[str, str]]) -> None:
        self._state.emit(headers)

    def _announce(self, call: Call) -> None:
        for channel in call.channels:
            self._state.channels[channel.name] = channel
            self._emit(channel_event("Newchannel", channel))
        first = call.channels[0]
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
