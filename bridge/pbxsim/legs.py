"""Channel-level steps of the simulated PBX's call flows, each with the events Asterisk sends.

Devices follow Asterisk 22: a device state is announced on every channel state change
(``ast_setstate``) and when a channel is destroyed (after its ``Hangup``), never when a channel
is created; a PJSIP caller's device is also announced when Dial indicates ringing to it
(``chan_pjsip_indicate``). Channel names are ``PJSIP/<endpoint>-<8 hex>`` from one counter per
PBX (``chan_idx``), ``Local/<exten>@<context>-<8 hex>;1``/``;2`` from another.
"""

from __future__ import annotations

import time

from bridge.ami.protocol import Header
from bridge.pbxsim.channels import (
    CALLING_PRES,
    UNKNOWN,
    Channel,
    channel_event,
    channel_headers,
    hangup_event,
)
from bridge.pbxsim.events import event
from bridge.pbxsim.state import PbxState

CallerId = tuple[str, str]


class ChannelOps:
    """Creates channels and changes them, emitting each change as Asterisk does."""

    def __init__(self, state: PbxState) -> None:
        self.state = state
        self._pjsip_sequence = 0

    # -- devices and channels --------------------------------------------------------------------
    def device_of(self, device_or_number: str) -> str:
        """``PJSIP/4224`` for ``4224`` (a name with a ``/`` is kept as it is)."""
        return device_or_number if "/" in device_or_number else f"PJSIP/{device_or_number}"

    def endpoint_cid(self, device: str) -> CallerId:
        """The caller ID an endpoint's own channels carry (``<unknown>`` for the trunk)."""
        endpoint = device.partition("/")[2]
        name = self.state.config.endpoints.get(endpoint)
        return (endpoint, name or UNKNOWN) if name is not None else (UNKNOWN, UNKNOWN)

    def is_endpoint(self, number: str) -> bool:
        """True when ``number`` is a phone's endpoint (not an outside number)."""
        return number in self.state.config.endpoints

    def pjsip(
        self, device: str, *, state: int, context: str, exten: str, cid: CallerId,
        linkedid: str = "",
    ) -> Channel:  # fmt: skip
        """A new PJSIP channel of ``device`` (``Newchannel``)."""
        number, self._pjsip_sequence = self._pjsip_sequence, self._pjsip_sequence + 1
        uniqueid = self.state.next_uniqueid()
        channel = Channel(
            f"{device}-{number:08x}", uniqueid, linkedid or uniqueid, device, context, exten,
            state=state, cid_num=cid[0], cid_name=cid[1], created=time.monotonic(),
        )  # fmt: skip
        self.announce(channel)
        return channel

    def local_pair(self, exten: str, context: str, linkedid: str) -> tuple[Channel, Channel]:
        """The two halves of ``Local/<exten>@<context>`` (``;1`` Down, ``;2`` Ring)."""
        device, number = f"Local/{exten}@{context}", self.state.next_local_id()
        now = time.monotonic()
        one = Channel(f"{device}-{number};1", self.state.next_uniqueid(), linkedid, device,
                      context, exten, created=now)  # fmt: skip
        two = Channel(f"{device}-{number};2", self.state.next_uniqueid(), linkedid, device,
                      context, exten, state=4, created=now)  # fmt: skip
        one.partner, two.partner = two, one
        self.announce(one)
        self.announce(two)
        return one, two

    def announce(self, channel: Channel) -> None:
        """Make ``channel`` live (``Newchannel``)."""
        self.state.channels[channel.name] = channel
        self.emit(channel_event("Newchannel", channel))

    def emit(self, headers: list[Header]) -> None:
        """Broadcast one event."""
        self.state.emit(headers)

    def publish(self, device: str) -> None:
        """Announce a device's state (hints, ``DeviceStateChange``, queue members)."""
        self.state.publish(device)

    # -- changes ---------------------------------------------------------------------------------
    def newstate(self, channel: Channel, state: int) -> None:
        """``Newstate``, then the device's new state."""
        channel.state = state
        self.emit(channel_event("Newstate", channel))
        self.publish(channel.device)

    def newexten(
        self, channel: Channel, application: str, data: str, *, priority: int | None = None,
        exten: str | None = None, context: str | None = None,
    ) -> None:  # fmt: skip
        """The channel runs ``application(data)`` (``Newexten``), at a new place if given."""
        channel.context = context if context is not None else channel.context
        channel.exten = exten if exten is not None else channel.exten
        channel.priority = priority if priority is not None else channel.priority
        channel.application, channel.app_data = application, data
        extra = (("Extension", channel.exten), ("Application", application), ("AppData", data))
        self.emit(channel_event("Newexten", channel, *extra, privilege="dialplan"))

    def varset(self, channel: Channel, variable: str, value: str) -> None:
        """A channel variable written by Asterisk or the dialplan (``VarSet``)."""
        channel.variables[variable] = value
        extra = (("Variable", variable), ("Value", value))
        self.emit(channel_event("VarSet", channel, *extra, privilege="dialplan"))

    def callerid(self, channel: Channel, cid: CallerId) -> None:
        """The channel's caller ID changes (``NewCallerid``)."""
        channel.cid_num, channel.cid_name = cid
        self.emit(channel_event("NewCallerid", channel, ("CID-CallingPres", CALLING_PRES)))

    def connected(self, channel: Channel, cid: CallerId) -> None:
        """The channel's connected line changes (``NewConnectedLine``)."""
        channel.connected_num, channel.connected_name = cid
        self.emit(channel_event("NewConnectedLine", channel))

    def dial(self, name: str, caller: Channel, dest: Channel, *extra: Header) -> None:
        """``DialBegin``/``DialState``/``DialEnd``: caller block, ``Dest`` block, ``extra``."""
        headers = [*channel_headers(caller), *channel_headers(dest, "Dest"), *extra]
        self.emit(event(name, "call", headers))

    def moh(self, channel: Channel, *, start: bool) -> None:
        """Music on hold starts (``Class: default``) or stops on ``channel``."""
        if start:
            self.emit(channel_event("MusicOnHoldStart", channel, ("Class", "default")))
        else:
            self.emit(channel_event("MusicOnHoldStop", channel))

    def request_hangup(
        self, channel: Channel, cause: int | None = None, *, soft: bool = False,
        tech_cause: int = 0,
    ) -> None:  # fmt: skip
        """``HangupRequest`` (a remote hangup) or ``SoftHangupRequest`` (an action, dialplan)."""
        extra: list[Header] = [("Cause", str(cause))] if cause is not None else []
        extra += [("TechCause", str(tech_cause))] if tech_cause else []
        self.emit(channel_event("SoftHangupRequest" if soft else "HangupRequest", channel, *extra))

    def hangup(self, channel: Channel, cause: int = 16, tech_cause: int = 0) -> None:
        """The channel ends (``Hangup``), then its device's state."""
        if self.state.channels.pop(channel.name, None) is None:
            return
        headers = hangup_event(channel, cause)
        if tech_cause:
            headers.append(("TechCause", str(tech_cause)))
        self.emit(headers)
        self.publish(channel.device)
