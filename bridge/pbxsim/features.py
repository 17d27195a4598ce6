"""Features used during calls on the simulated PBX: hold, recording, and DND from the phone.

- Hold (``chan_pjsip``'s re-INVITE sendonly -> ``ast_queue_hold``; ``manager_channels.c``):
  ``Hold`` (``MusicClass: default``, the endpoint's ``moh_suggest``) on the channel of the phone
  that pressed hold, then the bridge passes the hold to the other party: ``MusicOnHoldStart``
  (``Class: default``) on it and, being a PJSIP channel now held, its device reads ``ONHOLD``.
  Unhold mirrors it: ``Unhold``, ``MusicOnHoldStop``, the held device back to ``INUSE``.
- Recording (``apps/app_mixmonitor.c``): ``VarSet MIXMONITOR_FILENAME`` then
  ``MixMonitorStart``; ``StopMixMonitor`` gives ``MixMonitorStop``. A channel that hangs up while
  recording gets no ``MixMonitorStop``.
- DND by feature code (FreePBX ``*76``/``*77``, ``pjsip/dnd_feature_code``): the phone's short
  call to the code runs its extension: the AstDB key written or deleted (no AMI event for that)
  and ``DEVICE_STATE(Custom:DND<n>)`` set, which raises ``ExtensionStatus`` for hints that use
  it and ``DeviceStateChange``.
"""

from __future__ import annotations

from bridge.pbxsim.channels import Channel, channel_event
from bridge.pbxsim.legs import ChannelOps
from bridge.pbxsim.phone import PhoneCalls
from bridge.pbxsim.simcall import SimCall

Target = SimCall | Channel | str


class CallFeatures:
    """Hold, recording and DND on the calls of :class:`PhoneCalls`."""

    def __init__(self, phones: PhoneCalls) -> None:
        self._phones = phones
        self._legs: ChannelOps = phones.legs

    def channel(self, target: Target) -> Channel:
        """The channel acting for ``target``: a channel (or its name) as given; for a call,
        its callee unless that is the trunk, then its caller (the phone that answered)."""
        if isinstance(target, Channel):
            return target
        if isinstance(target, str):
            channel = self._legs.state.channels.get(target)
            if channel is None:
                raise LookupError(f"no live channel {target!r}")
            return channel
        callee = target.callee
        trunk = f"PJSIP/{self._legs.state.config.trunk}"
        return callee if callee is not None and callee.device != trunk else target.caller

    def _call_of(self, channel: Channel) -> SimCall:
        for call in self._phones.calls:
            if channel in call.channels and call.answered:
                return call
        raise LookupError(f"{channel.name} is in no answered call")

    def hold(self, target: Target) -> Channel:
        """The phone of ``target`` puts its peer on hold; returns the held channel."""
        holder = self.channel(target)
        held = self._call_of(holder).other(holder)
        self._legs.emit(channel_event("Hold", holder, ("MusicClass", "default")))
        held.held = True
        self._legs.moh(held, start=True)
        self._legs.publish(held.device)
        return held

    def unhold(self, target: Target) -> Channel:
        """The phone of ``target`` takes its peer off hold; returns that peer."""
        holder = self.channel(target)
        held = self._call_of(holder).other(holder)
        self._legs.emit(channel_event("Unhold", holder))
        if held.held:
            held.held = False
            self._legs.moh(held, start=False)
            self._legs.publish(held.device)
        return held

    def start_recording(self, target: Target, filename: str = "") -> Channel:
        """MixMonitor starts on the channel of ``target``."""
        channel = self.channel(target)
        name = filename or f"/var/spool/asterisk/monitor/{channel.uniqueid}.wav"
        self._phones.bridges.varset(channel, "MIXMONITOR_FILENAME", name)
        channel.recording = True
        self._legs.emit(channel_event("MixMonitorStart", channel))
        return channel

    def stop_recording(self, target: Target) -> Channel:
        """StopMixMonitor on the channel of ``target``."""
        channel = self.channel(target)
        channel.recording = False
        self._legs.emit(channel_event("MixMonitorStop", channel))
        return channel

    def dnd_feature_code(
        self, number: str, on: bool, *, family: str = "DND", value: str = "YES",
        via_phone: bool = True,
    ) -> None:  # fmt: skip
        """The phone of ``number`` dials the DND code (``*76`` on, ``*77`` off): its extension
        runs to the end (the labs': the AstDB key, ``Custom:DND<n>``, Wait, Hangup). Without
        such an extension, or with ``via_phone`` False, only the AstDB key
        ``/<family>/<number>`` and ``Custom:DND<number>`` change."""
        code = "*76" if on else "*77"
        state = self._legs.state
        if via_phone and state.config.dialplan.find("from-internal", code) is not None:
            call = self._phones.place_call(number, code)
            if self._phones.hangups.live(call.caller):
                self._phones.runner.wait_over(call.caller)  # the code's Wait(1) is over
            return
        if on:
            state.astdb[f"/{family}/{number}"] = value
        else:
            state.astdb.pop(f"/{family}/{number}", None)
        state.set_device_state(f"Custom:DND{number}", "BUSY" if on else "NOT_INUSE")
