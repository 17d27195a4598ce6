"""Features used during calls on the simulated PBX: hold, recording, and DND from the phone.

- Hold (``chan_pjsip``'s re-INVITE sendonly -> ``ast_queue_hold``; ``manager_channels.c``):
  ``Hold`` (``MusicClass: default``, the endpoint's ``moh_suggest``) on the channel of the phone
  that pressed hold, then the bridge passes the hold to the other party: ``MusicOnHoldStart``
  (``Class: default``) on it and, being a PJSIP channel now held, its device reads ``ONHOLD``.
  Unhold mirrors it: ``Unhold``, ``MusicOnHoldStop``, the held device back to ``INUSE``.
- Recording (``apps/app_mixmonitor.c``): ``VarSet MIXMONITOR_FILENAME`` then
  ``MixMonitorStart``; ``StopMixMonitor`` gives ``MixMonitorStop``. A channel that hangs up while
  recording gets no ``MixMonitorStop``.
- DND by feature code (FreePBX ``*76``): the phone's short call to the code, the AstDB key
  written (no AMI event for that) and ``DEVICE_STATE(Custom:DND<n>)`` set, which raises
  ``ExtensionStatus`` for hints that use it and ``DeviceStateChange``.
"""

from __future__ import annotations

from bridge.pbxsim.channels import Channel, channel_event
from bridge.pbxsim.legs import ChannelOps
from bridge.pbxsim.phone import PhoneCalls, SimCall

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
        via_phone: bool = True, code: str = "*76",
    ) -> None:  # fmt: skip
        """What the phone of ``number`` dialing the DND code shows over AMI (see module doc).

        ``via_phone``: False leaves out the phone's own short call (only the state changes).
        """
        state = self._legs.state
        channel = None
        if via_phone:
            device = self._legs.device_of(number)
            channel = self._legs.pjsip(device, state=4, context="from-internal", exten=code,
                                       cid=self._legs.endpoint_cid(device))  # fmt: skip
            self._legs.newexten(channel, "Answer", "", priority=1)
            self._legs.newstate(channel, 6)
            if on:
                self._legs.newexten(channel, "Set", f"DB({family}/{number})={value}", priority=2)
            else:
                self._legs.newexten(channel, "Noop", f"Deleting: {family}/{number}", priority=2)
        if on:
            state.astdb[f"/{family}/{number}"] = value
        else:
            state.astdb.pop(f"/{family}/{number}", None)
        if channel is not None:
            devstate = "BUSY" if on else "NOT_INUSE"
            data = f"DEVICE_STATE(Custom:DND{number})={devstate}"
            self._legs.newexten(channel, "Set", data, priority=3)
        state.set_device_state(f"Custom:DND{number}", "BUSY" if on else "NOT_INUSE")
        if channel is not None:
            sound = "do-not-disturb&" + ("activated" if on else "de-activated")
            self._legs.newexten(channel, "Playback", sound, priority=4)
            self._legs.newexten(channel, "Hangup", "", priority=5)
            self._legs.request_hangup(channel, 16, soft=True)
            self._legs.hangup(channel, 16)
