"""A synthetic but consistent stream of call events, for benchmarks of an AMI event consumer.

:func:`realistic_event_stream` plays ``calls`` calls between the phones ``numbers`` (a quarter
of them out through the trunk), several at once and interleaved, with the event shapes of the
simulated PBX (channel snapshot blocks as captured). Every channel it creates is hung up, a
phone is in one call at a time, and each phone's last ``DeviceStateChange`` is ``NOT_INUSE``,
so a consumer that tracks channels and device states ends with nothing live. Deterministic for
a given ``seed``. The trunk's own device states are left out (it carries several calls).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

from bridge.ami.protocol import Header
from bridge.pbxsim.bridges import Bridge, bridge_headers
from bridge.pbxsim.channels import Channel, channel_event, channel_headers, hangup_event
from bridge.pbxsim.events import event

_EPOCH = 1795834400


class _Factory:
    """Names and Uniqueids of one stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._sequence = 0

    def channel(self, device: str, state: int, exten: str, cid: str, linkedid: str) -> Channel:
        number, self._sequence = self._sequence, self._sequence + 1
        uniqueid = f"{_EPOCH + number // 10}.{number}"
        return Channel(f"{device}-{number:08x}", uniqueid, linkedid or uniqueid, device,
                       "from-internal", exten, state=state, cid_num=cid, cid_name=cid)  # fmt: skip


def _devstate(device: str, state: str) -> list[Header]:
    return event("DeviceStateChange", "call", [("Device", device), ("State", state)])


def _dial(name: str, caller: Channel, callee: Channel, *extra: Header) -> list[Header]:
    return event(name, "call", [*channel_headers(caller), *channel_headers(callee, "Dest"), *extra])


def _bridged(name: str, bridge: Bridge, channel: Channel) -> list[Header]:
    return event(name, "call", [*bridge_headers(bridge), *channel_headers(channel)])


def _call(make: _Factory, caller_number: str, callee_number: str | None) -> list[list[Header]]:
    """Every event of one call, in order (``callee_number`` None: out through the trunk)."""
    a_dev = f"PJSIP/{caller_number}"
    b_dev = f"PJSIP/{callee_number}" if callee_number else "PJSIP/trunk"
    dialed = callee_number or f"1800555{make.rng.randrange(10000):04d}"
    a = make.channel(a_dev, 4, dialed, caller_number, "")
    b = make.channel(b_dev, 0, "s", callee_number or dialed, a.linkedid)
    phone_b = callee_number is not None

    def state(channel: Channel, value: int, device_state: str) -> list[list[Header]]:
        channel.state = value
        out = [channel_event("Newstate", channel)]
        if channel is a or phone_b:
            out.append(_devstate(channel.device, device_state))
        return out

    events = [channel_event("Newchannel", a), channel_event("Newchannel", b)]
    events.append(_dial("DialBegin", a, b, ("DialString", callee_number or f"{dialed}@trunk")))
    events += state(b, 5, "RINGING")
    events.append(_devstate(a_dev, "INUSE"))
    ends = []
    if make.rng.random() < 0.8:
        events += state(b, 6, "INUSE")
        events.append(_dial("DialEnd", a, b, ("DialStatus", "ANSWER")))
        events += state(a, 6, "INUSE")
        bridge = Bridge(str(uuid.UUID(int=make.rng.getrandbits(128))))
        events.append(event("BridgeCreate", "call", bridge_headers(bridge)))
        for channel in (b, a):
            bridge.channels.append(channel)
            events.append(_bridged("BridgeEnter", bridge, channel))
        for channel in (a, b):
            bridge.channels.remove(channel)
            events.append(_bridged("BridgeLeave", bridge, channel))
        events.append(event("BridgeDestroy", "call", bridge_headers(bridge)))
        ends = [a, b]
    else:
        events.append(_dial("DialEnd", a, b, ("DialStatus", "NOANSWER")))
        ends = [b, a]
    for channel in ends:
        events.append(hangup_event(channel, 16))
        if channel is a or phone_b:
            events.append(_devstate(channel.device, "NOT_INUSE"))
    return events


def realistic_event_stream(
    numbers: list[str], calls: int, *, seed: int = 0, concurrency: int = 8
) -> Iterator[list[Header]]:
    """The events of ``calls`` calls among the phones ``numbers`` (see the module doc)."""
    if len(numbers) < 2:
        raise ValueError("at least two phone numbers are needed")
    make = _Factory(random.Random(seed))
    idle, started = list(numbers), 0
    active: list[tuple[Iterator[list[Header]], list[str]]] = []
    while started < calls or active:
        while started < calls and len(active) < concurrency and len(idle) >= 2:
            caller = idle.pop(make.rng.randrange(len(idle)))
            outbound = make.rng.random() < 0.25
            callee = None if outbound else idle.pop(make.rng.randrange(len(idle)))
            busy = [caller] if callee is None else [caller, callee]
            active.append((iter(_call(make, caller, callee)), busy))
            started += 1
        index = make.rng.randrange(len(active))
        events, busy = active[index]
        headers = next(events, None)
        if headers is None:
            active.pop(index)
            idle.extend(busy)
            continue
        yield headers
