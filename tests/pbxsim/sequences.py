"""Call flows compared per channel: what must hold when the interleaving cannot.

A real Asterisk runs every channel in its own thread, so how the events of two channels (and the
device states computed by yet another thread) interleave differs from run to run, even in the
lab. What does not differ is each channel's own story. :func:`flows` cuts a stream into
entities and keeps, per entity, the ordered list of its events with their key headers:

- a channel (``PJSIP/4225#1``: the first channel of that device; Local halves keep ``;1``/``;2``)
  gets every event naming it in ``Channel`` (``DestChannel`` for an originate's Dial events,
  ``LocalOneChannel``, ``TransfererChannel`` for events without one);
- a device, a hint, a queue member, a bridge (``bridge#1``) and an originate its own events;
- each action's answer (its Response and list items, the items sorted: Asterisk lists channels,
  devices and hints in hash-table order) all of its headers but the time-dependent ones.

Uniqueids and Linkedids become the channel they belong to, so "the same call" still has to hold.
Left out: ``VarSet`` (the dialplan's and the channel drivers' bookkeeping: Dial's timers, RTP
statistics, SIP call ids; several of them are repeated as the lab's bridge changed technology)
and ``RTCPSent``/``RTCPReceived`` (the lab's media timing). Values that count real seconds (hold
and talk times, waits, epoch times) are left out too: the lab's calls lasted seconds, a
simulated one lasts as long as the test takes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import MappingProxyType

from bridge.ami.protocol import AmiParser, Message

Item = tuple[str, ...]
Flows = dict[str, list[Item]]

IGNORED = frozenset({"VarSet", "RTCPSent", "RTCPReceived"})
KEYS = (
    "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum", "ConnectedLineName",
    "Context", "Exten", "Priority", "Application", "AppData", "Linkedid", "DestChannel",
    "DestChannelStateDesc", "DestCallerIDNum", "DestCallerIDName", "DestConnectedLineNum",
    "DestConnectedLineName", "DestContext", "DestExten", "DestLinkedid", "DialStatus",
    "DialString", "Cause", "TechCause", "Queue", "Position", "OriginalPosition", "Count",
    "Interface", "MemberName", "StateInterface", "Membership", "Penalty", "CallsTaken", "InCall",
    "Status", "Paused", "PausedReason", "Ringinuse", "Reason", "Response", "Result",
    "BridgeUniqueid", "BridgeType", "BridgeNumChannels", "SwapUniqueid", "Extension",
    "TransfereeChannel", "TransfereeLinkedid", "IsExternal", "LocalTwoChannel", "State", "Hint",
    "StatusText", "MusicClass", "Class",
)  # fmt: skip
# Headers of action answers that count time or name the session.
_VOLATILE = frozenset({
    "Uptime", "LastReload", "Timestamp", "EventTV", "SessionTV", "SessionID", "LocalAddress",
    "RemoteAddress", "Duration", "LastCall", "LastPause", "LoginTime", "Wait", "Holdtime",
    "HoldTime", "TalkTime", "LongestHoldTime", "RingTime",
})  # fmt: skip
# Headers that are a race between two threads: DialState's Dest block is the called channel as
# app_dial sees it when it publishes, before or after that channel's own Newstate Ringing
# (pjsip/phone_to_phone shows Down, pjsip/did_to_phone Ringing); its own entity has the state.
_RACY = MappingProxyType({"DialState": frozenset({"DestChannelStateDesc"})})
_CHANNEL = re.compile(r"^(?P<device>.+)-(?P<number>[0-9a-f]{8})(?P<half>;[12])?$")
_OWNERS = (
    "Channel",
    "DestChannel",
    "LocalOneChannel",
    "TransfererChannel",
    "OrigTransfererChannel",
)


class _Names:
    """Channel names, Uniqueids and bridge ids rewritten so that runs compare."""

    def __init__(self) -> None:
        self._numbers: dict[str, dict[str, int]] = {}
        self._uniqueids: dict[str, str] = {}
        self._bridges: dict[str, str] = {}

    def channel(self, name: str) -> str:
        match = _CHANNEL.match(name)
        if match is None:
            return name
        numbers = self._numbers.setdefault(match["device"], {})
        number = numbers.setdefault(match["number"], len(numbers) + 1)
        return f"{match['device']}#{number}{match['half'] or ''}"

    def learn(self, message: Message) -> None:
        for key, value in message.headers:
            if key.endswith("Channel") and value:
                uniqueid = message.get(key[: -len("Channel")] + "Uniqueid")
                if uniqueid:
                    self._uniqueids.setdefault(uniqueid, self.channel(value))

    def value(self, key: str, value: str) -> str:
        if key.endswith("Channel"):
            return self.channel(value)
        if key.endswith(("Uniqueid", "Linkedid")) and not key.startswith("Bridge"):
            return self._uniqueids.get(value, "<other>" if value else "")
        if key in ("BridgeUniqueid", "BridgeId") and value:
            return self._bridges.setdefault(value, f"bridge#{len(self._bridges) + 1}")
        return value


def messages_of(data: bytes) -> list[Message]:
    """The messages of a stream (the banner left out)."""
    return AmiParser().feed(data)


def flows(stream: bytes | Iterable[Message], *, local_changes_only: bool = True) -> Flows:
    """Entity -> its ordered events (see the module docstring).

    ``local_changes_only``: a ``Local/...`` device's state is computed by Asterisk's device state
    thread whenever it gets to it (``local_devicestate`` looks at the live channels then), so its
    repeats and even a stale first value depend on timing: keep only its changes, from idle.
    """
    messages = messages_of(stream) if isinstance(stream, bytes) else list(stream)
    names, out = _Names(), Flows()
    for message in messages:
        names.learn(message)
        name = message.get("Event") or ""
        if name in IGNORED:
            continue
        entity, item = _entity(message, names)
        out.setdefault(entity, []).append(item)
    for entity, items in out.items():
        if entity.startswith("action "):
            items[1:-1] = sorted(items[1:-1])
        elif entity.startswith("device Local/") and local_changes_only:
            out[entity] = _changes(items)
    return out


def _entity(message: Message, names: _Names) -> tuple[str, Item]:
    name = message.get("Event") or ""
    action_id = message.get("ActionID")
    if action_id and name != "OriginateResponse":
        headers = [(k, names.value(k, v)) for k, v in message.headers if k not in _VOLATILE]
        return f"action {action_id}", tuple(f"{k}={v}" for k, v in headers)
    racy = _RACY.get(name, frozenset())
    keys = [k for k in KEYS if k in message and k not in racy]
    item = (name, *(f"{k}={names.value(k, message[k])}" for k in keys))
    if name == "OriginateResponse":
        return f"originate {action_id or ''}", item
    if name == "DeviceStateChange":
        return f"device {message['Device']}", item
    if name == "ExtensionStatus":
        return f"hint {message['Exten']}@{message['Context']}", item
    if name.startswith("QueueMember") and "Interface" in message:
        return f"member {message['Queue']} {message['Interface']}", item
    if name in ("BridgeCreate", "BridgeDestroy"):
        return names.value("BridgeUniqueid", message["BridgeUniqueid"]), item
    owner = next((message[k] for k in _OWNERS if k in message), None)
    if owner is not None:
        return names.channel(owner), item
    return "other", (name,)


def _changes(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    last = "State=NOT_INUSE"
    for item in items:
        if item[-1] != last:
            out.append(item)
            last = item[-1]
    return out


def describe(flow: Flows) -> str:
    """One line per event, grouped by entity (for reading a capture, and failure messages)."""
    lines = []
    for entity in sorted(flow):
        lines.append(entity)
        lines.extend("    " + " ".join(item) for item in flow[entity])
    return "\n".join(lines)
