"""What the simulated PBX knows: AMI users, dialplan and hints, queues, canned CLI output.

Plain mutable data owned by one :class:`~bridge.pbxsim.pbx.SimulatedPbx`
(:func:`bridge.pbxsim.lab.lab_config` builds the lab PBX of the captures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

EVENT_CLASSES = frozenset(
    {
        "system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf",
        "reporting", "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security",
        "message",
    }
)  # fmt: skip
App = tuple[str, str]


def parse_classes(text: str) -> frozenset[str]:
    """An AMI permission or ``Events`` value as a set of classes (``on``/``all`` = every one)."""
    words = {w.strip().lower() for w in text.split(",") if w.strip()}
    if words & {"on", "yes", "true", "all"}:
        return EVENT_CLASSES
    return frozenset(words & EVENT_CLASSES)


@dataclass(slots=True)
class AmiUser:
    """One manager.conf user: secret and the classes it may read (events) and write (actions)."""

    username: str
    secret: str
    read: frozenset[str] = EVENT_CLASSES
    write: frozenset[str] = EVENT_CLASSES


@dataclass(slots=True)
class Extension:
    """One extension (or ``_X.`` pattern): its priorities as (application, data), a hint, and
    labels (name -> priority) that GotoIf jumps to."""

    apps: list[App]
    hint: str = ""
    labels: dict[str, int] = field(default_factory=dict)


def _pattern_regex(pattern: str) -> str:
    classes = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}
    out, i = [], 1
    while i < len(pattern):
        char = pattern[i]
        if char == "[":
            end = pattern.find("]", i)
            out.append(pattern[i : end + 1] if end > 0 else re.escape(char))
            i = end + 1 if end > 0 else i + 1
            continue
        out.append(classes.get(char.upper(), re.escape(char)))
        i += 1
    return "".join(out)


@dataclass(slots=True)
class Dialplan:
    """Contexts of extensions. Exact extensions win over patterns; patterns match in order.

    ``strict``: a Local channel into an extension that does not exist cannot be created (the
    Originate fails, as on a real PBX). When not strict such a channel runs ``fallback``.
    """

    contexts: dict[str, dict[str, Extension]] = field(default_factory=dict)
    fallback: list[App] = field(
        default_factory=lambda: [("Answer", ""), ("Wait", "5"), ("Hangup", "")]
    )
    strict: bool = False

    def find(self, context: str, exten: str) -> Extension | None:
        """The extension ``exten`` runs in ``context``, or None."""
        entries = self.contexts.get(context)
        if entries is None:
            return None
        if exten in entries:
            return entries[exten]
        for name, entry in entries.items():
            if name.startswith("_") and re.fullmatch(_pattern_regex(name), exten):
                return entry
        return None

    def apps(self, context: str, exten: str) -> list[App] | None:
        """Priorities run by ``exten@context``; ``fallback`` or None (strict) when unknown."""
        entry = self.find(context, exten)
        if entry is not None:
            return entry.apps
        return None if self.strict else self.fallback

    def hint(self, context: str, exten: str) -> str:
        """The hint of exactly ``exten@context`` (patterns have none), or ``""``."""
        entry = self.contexts.get(context, {}).get(exten)
        return entry.hint if entry is not None else ""

    def hints(self) -> list[tuple[str, str, str]]:
        """Every (context, exten, hint) with a hint."""
        return [
            (context, exten, entry.hint)
            for context, entries in self.contexts.items()
            for exten, entry in entries.items()
            if entry.hint
        ]


@dataclass(slots=True)
class QueueMember:
    """A queue member. ``status`` is the device state number last reported for it."""

    interface: str
    name: str = ""
    state_interface: str = ""
    membership: str = "static"
    penalty: int = 0
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    in_call: bool = False
    paused: bool = False
    paused_reason: str = ""
    ringinuse: bool = False
    wrapuptime: int = 0
    status: int | None = None

    @property
    def device(self) -> str:
        """The device whose state is the member's state."""
        return self.state_interface or self.interface


@dataclass(slots=True)
class Queue:
    """A queue with its statistics; ``callers``: Uniqueids of the channels waiting in it, with
    the monotonic time each joined (what ``Calls`` and ``QueueEntry`` report)."""

    name: str
    members: list[QueueMember] = field(default_factory=list)
    strategy: str = "ringall"
    max: int = 0
    holdtime: int = 0
    talktime: int = 0
    completed: int = 0
    abandoned: int = 0
    service_level: int = 0
    service_level_perf: float = 0.0
    service_level_perf2: float = 0.0
    weight: int = 0
    callers: dict[str, float] = field(default_factory=dict)

    def member(self, interface: str) -> QueueMember | None:
        """The member with this interface, or None."""
        return next((m for m in self.members if m.interface == interface), None)


@dataclass(slots=True)
class PbxConfig:
    """Everything static about the simulated PBX (the caller may still change it live).

    ``endpoints``: PJSIP endpoint id (``4224``) -> caller ID name of its phone; ``trunk``: the
    endpoint that calls to and from outside numbers go through. ``devices``: states in the device
    state cache at start-up, as a PBX that has run a while keeps them (``Custom:DND4225``,
    ``Queue:support_pause_...``). ``contacts``: PJSIP endpoint id -> the SIP URI of its static
    contact (``PJSIPShowEndpoint``; default ``sip:<id>@127.0.0.1:5060``).
    """

    dialplan: Dialplan = field(default_factory=Dialplan)
    queues: dict[str, Queue] = field(default_factory=dict)
    cli: dict[str, list[str]] = field(default_factory=dict)
    endpoints: dict[str, str] = field(default_factory=dict)
    trunk: str = "trunk"
    devices: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)

    def queue(self, name: str) -> Queue:
        """The queue of that name; LookupError if there is none."""
        queue = self.queues.get(name)
        if queue is None:
            raise LookupError(f"no queue {name!r}")
        return queue
