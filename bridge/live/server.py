"""ServerLive: everything live about one core server, and what each change notifies.

Until the first sync after a (re)connect, and whenever the link is down, values read as unknown
(``dnd`` None, device state ``UNKNOWN``, no channels, agents' ``paused`` None and ``state``
``UNKNOWN``, no waiting callers): never stale-but-confident. ``version`` moves on every
change, so answers that include live values can be cached per version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.live.channels import ChannelInfo, ChannelTable

UNKNOWN = "UNKNOWN"
# Asterisk's AST_DEVICE_* numbers, as QueueMember(Status) gives them (docs/ami.md).
MEMBER_STATES = (
    "UNKNOWN",
    "NOT_INUSE",
    "INUSE",
    "BUSY",
    "INVALID",
    "UNAVAILABLE",
    "RINGING",
    "RINGINUSE",
    "ONHOLD",
)


@dataclass(frozen=True, slots=True)
class Change:
    """What changed: ``kind`` is ``amiStatus``, ``device``, ``dnd``, ``channel``, ``member``
    or ``caller`` (a caller waiting in a queue).

    ``key`` is the device, the extension number, the channel's Uniqueid, ``(queue, interface)``
    or ``(queue, uniqueid)``; ``phase`` is ``start``, ``change`` or ``end`` for channels,
    members and callers."""

    kind: str
    key: object = None
    phase: str = "change"
    channel: ChannelInfo | None = None
    member: Member | None = None  # a queue member that left (its details are gone from live)
    caller: WaitingCall | None = None  # the caller that joined or left


@dataclass(slots=True)
class WaitingCall:
    """A caller waiting in a queue, by its channel's Uniqueid. ``outcome`` says why it left
    (``answered``, ``abandoned``, Asterisk's ``QUEUESTATUS`` in lower case; "" while unknown)."""

    uniqueid: str
    queue: str
    channel: str
    position: int
    caller_name: str | None
    caller_number: str | None
    dialled: str  # the first extension its channel ran: the DID, when the caller is outside
    device: str  # its channel's device
    since: float  # epoch seconds
    outcome: str = ""


@dataclass(slots=True)
class Member:
    """A queue member as Asterisk reports it; times are Asterisk's epoch seconds (0: never)."""

    paused: bool
    status: int
    dynamic: bool
    name: str
    state_interface: str
    paused_reason: str = ""
    last_pause: int = 0
    calls_taken: int = 0
    last_call: int = 0
    in_call: bool = False


@dataclass(slots=True)
class ServerLive:
    core_server_id: str
    ami_status: str = "disconnected"
    ami_status_reason: str | None = None  # what went wrong last, in words; None when connected
    synced: bool = False
    version: int = 0
    dnd: dict[str, bool] = field(default_factory=dict)
    device_states: dict[str, str] = field(default_factory=dict)
    hint_states: dict[str, str] = field(default_factory=dict)  # extension number -> state
    channels: ChannelTable = field(default_factory=ChannelTable)
    members: dict[tuple[str, str], Member] = field(default_factory=dict)
    callers: dict[str, WaitingCall] = field(default_factory=dict)  # waiting, by Uniqueid
    # callers that left lately, whose outcome may still come (AgentConnect follows the leave)
    left_callers: dict[str, WaitingCall] = field(default_factory=dict)
    listeners: list[Callable[[ServerLive, Change], None]] = field(default_factory=list)
    # The channels known when the link dropped: not shown, but what AMI's lists do not say
    # (answer times, who dialled whom, hold, recording) is taken back for channels still up.
    forgotten_channels: ChannelTable | None = None
    # The callers waiting when the link dropped: a resync keeps their waiting time and DID.
    forgotten_callers: dict[str, WaitingCall] = field(default_factory=dict)
    # Originates sent and not yet seen: device -> destinations, oldest first (what the
    # originated leg dialled: Asterisk's events say it only once the phone answered)
    originating: dict[str, list[str]] = field(default_factory=dict)

    def expect_originate(self, device: str, destination: str) -> None:
        waiting = self.originating.setdefault(device, [])
        waiting.append(destination)
        del waiting[:-8]  # originates that never showed (refused, failed) do not pile up

    def originated(self, device: str) -> str:
        """The destination of the oldest originate of ``device`` not yet seen ("" if none)."""
        waiting = self.originating.get(device)
        if not waiting:
            return ""
        destination = waiting.pop(0)
        if not waiting:
            del self.originating[device]
        return destination

    # -- reading -------------------------------------------------------------------------------
    def dnd_of(self, number: str) -> bool | None:
        return self.dnd.get(number, False) if self.synced else None

    def device_state_of(self, device: str, number: str | None = None) -> str:
        if not self.synced:
            return UNKNOWN
        state = self.device_states.get(device)
        if state is None and number is not None:
            state = self.hint_states.get(number)
        return state or UNKNOWN

    def member_of(self, queue: str, interface: str) -> tuple[bool | None, str]:
        """``(paused, state)`` of a queue member; ``(None, UNKNOWN)`` while not known."""
        member = self.members.get((queue, interface)) if self.synced else None
        if member is None:
            return None, UNKNOWN
        status = member.status
        return member.paused, MEMBER_STATES[status] if 0 <= status < len(MEMBER_STATES) else UNKNOWN

    def member_details(self, queue: str, interface: str) -> Member | None:
        """Everything known of a queue member; None while not known."""
        return self.members.get((queue, interface)) if self.synced else None

    def reported_members(self) -> list[tuple[str, str, Member]]:
        """``(queue, interface, member)`` of every member the PBX reports, static or dynamic."""
        if not self.synced:
            return []
        return [(q, i, m) for (q, i), m in self.members.items()]

    def dynamic_members(self) -> list[tuple[str, str, Member]]:
        """``(queue, interface, member)`` of members added at run time (QueueAdd, agents)."""
        return [(q, i, m) for q, i, m in self.reported_members() if m.dynamic]

    def callers_of(self, queue: str) -> list[WaitingCall] | None:
        """The callers waiting in ``queue``, longest waiting first; None while not known."""
        if not self.synced:
            return None
        waiting = [c for c in self.callers.values() if c.queue == queue]
        return sorted(waiting, key=lambda c: (c.since, c.position))

    # -- changing ------------------------------------------------------------------------------
    def notify(self, change: Change) -> None:
        self.version += 1
        for listener in self.listeners:
            listener(self, change)

    def set_ami_status(self, status: str, reason: str | None = None) -> None:
        reason = None if status == "connected" else reason
        if (status, reason) == (self.ami_status, self.ami_status_reason):
            return
        changed = status != self.ami_status
        self.ami_status, self.ami_status_reason = status, reason
        if changed and status != "connected":
            self.forget_everything()
        self.notify(Change("amiStatus"))

    def forget_everything(self) -> None:
        """The link is down: nothing live is known any more (clients learn it from the
        ``amiStatus`` change, and refetch after the next ``synced``)."""
        self.synced = False
        self.dnd = {}
        self.device_states = {}
        self.hint_states = {}
        if self.channels.channels:
            self.forgotten_channels = self.channels
        self.channels = ChannelTable()
        self.members = {}
        if self.callers:
            self.forgotten_callers = self.callers
        self.callers = {}
        self.left_callers = {}
