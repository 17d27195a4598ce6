"""Channels of the simulated PBX and the channel events Asterisk 22 sends about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from bridge.ami.protocol import Header, Message
from bridge.pbxsim.events import event

STATE_DESC = MappingProxyType(
    {
        0: "Down",
        1: "Rsrvd",
        2: "OffHook",
        3: "Dialing",
        4: "Ring",
        5: "Ringing",
        6: "Up",
        7: "Busy",
        8: "Dialing Offhook",
        9: "Pre-ring",
    }
)
CALLING_PRES = "0 (Presentation Allowed, Not Screened)"
# ast_cause2str() of the causes the simulation uses (main/channel.c causes[]).
CAUSE_TEXT = MappingProxyType(
    {0: "Unknown", 16: "Normal Clearing", 17: "User busy", 19: "No user responding",
     21: "Call Rejected", 26: "Answered elsewhere", 127: "Interworking, unspecified"}
)  # fmt: skip
UNKNOWN = "<unknown>"


# What a channel runs, which decides how it ends (see ``hangups``).
RUNS_DIALPLAN = "dialplan"  # a PBX thread: a phone's call, a Local ;2, an originate to an exten
RUNS_APP = "app"  # an originate's Application (Wait, Dial) on its channel
RUNS_OUTGOING = "outgoing"  # a leg that Dial or Queue called (AppDial, AppQueue)


@dataclass(slots=True, eq=False)
class Channel:
    """A live simulated channel: what Asterisk's channel snapshot headers report.

    ``bridge_id``: the bridge it is in (``""``: none); ``held``: put on hold by its peer (its
    device then reads ``ONHOLD``); ``recording``: a MixMonitor runs on it. ``runs``: one of the
    ``RUNS_*`` values; ``partner``: the other half of a Local channel; ``hangupcause``: the
    cause its ``Hangup`` will report (set once it was bridged, or by who hung it up).
    """

    name: str
    uniqueid: str
    linkedid: str
    device: str
    context: str
    exten: str
    state: int = 0
    priority: int = 1
    cid_num: str = UNKNOWN
    cid_name: str = UNKNOWN
    connected_num: str = UNKNOWN
    connected_name: str = UNKNOWN
    application: str = ""
    app_data: str = ""
    created: float = 0.0
    variables: dict[str, str] = field(default_factory=dict)
    bridge_id: str = ""
    held: bool = False
    recording: bool = False
    runs: str = RUNS_DIALPLAN
    partner: Channel | None = field(default=None, repr=False)
    hangupcause: int = 0


def channel_headers(channel: Channel, prefix: str = "") -> list[Header]:
    """The channel snapshot block (``Channel`` ... ``Linkedid``), optionally prefixed."""
    return [
        (f"{prefix}Channel", channel.name),
        (f"{prefix}ChannelState", str(channel.state)),
        (f"{prefix}ChannelStateDesc", STATE_DESC.get(channel.state, "Unknown")),
        (f"{prefix}CallerIDNum", channel.cid_num),
        (f"{prefix}CallerIDName", channel.cid_name),
        (f"{prefix}ConnectedLineNum", channel.connected_num),
        (f"{prefix}ConnectedLineName", channel.connected_name),
        (f"{prefix}Language", "en"),
        (f"{prefix}AccountCode", ""),
        (f"{prefix}Context", channel.context),
        (f"{prefix}Exten", channel.exten),
        (f"{prefix}Priority", str(channel.priority)),
        (f"{prefix}Uniqueid", channel.uniqueid),
        (f"{prefix}Linkedid", channel.linkedid),
    ]


def channel_event(
    name: str, channel: Channel, *extra: Header, privilege: str = "call"
) -> list[Header]:
    """An event about one channel: its snapshot block, then ``extra``."""
    return event(name, privilege, [*channel_headers(channel), *extra])


def dial(name: str, dest: Channel, *extra: Header) -> list[Header]:
    """``DialBegin``/``DialEnd`` of an originate: only the ``Dest`` block (no caller channel)."""
    return event(name, "call", [*channel_headers(dest, "Dest"), *extra])


def local_bridge(one: Channel, two: Channel) -> list[Header]:
    """``LocalBridge`` between the two halves of a Local channel."""
    return event(
        "LocalBridge",
        "call",
        [
            *channel_headers(one, "LocalOne"),
            *channel_headers(two, "LocalTwo"),
            ("Context", two.context),
            ("Exten", two.exten),
            ("LocalOptimization", "Yes"),
        ],
    )


def hangup_event(channel: Channel, cause: int) -> list[Header]:
    """``Hangup`` with Asterisk's cause text."""
    text = CAUSE_TEXT.get(cause, "Unknown")
    return channel_event("Hangup", channel, ("Cause", str(cause)), ("Cause-txt", text))


def split_callerid(text: str) -> tuple[str, str]:
    """``(number, name)`` of a CallerID such as ``"Michael Y" <4224>``; ``<unknown>`` if absent."""
    text = text.strip()
    if not text:
        return UNKNOWN, UNKNOWN
    if "<" in text and text.endswith(">"):
        name, _, number = text[:-1].rpartition("<")
        name = name.strip().strip('"').strip()
        return number.strip() or UNKNOWN, name or UNKNOWN
    if text.replace("+", "").replace("*", "").replace("#", "").isdigit():
        return text, UNKNOWN
    return UNKNOWN, text.strip('"')


ANSWERED = 4
FAILED = 0


@dataclass(slots=True)
class OriginateRequest:
    """The parts of an ``Originate`` action the simulation uses."""

    channel: str
    context: str
    exten: str
    application: str
    data: str
    callerid: str
    action_id: str

    @classmethod
    def from_message(cls, message: Message) -> OriginateRequest:
        """Read an ``Originate`` action (missing headers read as ``""``)."""

        def get(key: str) -> str:
            return (message.get(key) or "").strip()

        return cls(
            get("Channel"), get("Context"), get("Exten"), get("Application"), get("Data"),
            get("CallerID"), get("ActionID"),
        )  # fmt: skip

    def destination(self) -> list[Header]:
        """``Context``/``Exten``, or ``Application``/``Data`` for an application originate."""
        if self.application:
            return [("Application", self.application), ("Data", self.data)]
        return [("Context", self.context), ("Exten", self.exten)]


def originate_response(
    request: OriginateRequest, channel: Channel | None, reason: int
) -> list[Header]:
    """``OriginateResponse``: Success with the created channel, or Failure with the request's."""
    number, name = split_callerid(request.callerid)
    if channel is not None:
        number, name = channel.cid_num, channel.cid_name
    action_id = [("ActionID", request.action_id)] if request.action_id else []
    return event(
        "OriginateResponse",
        "call",
        [
            *action_id,
            ("Response", "Success" if channel is not None else "Failure"),
            ("Channel", channel.name if channel is not None else request.channel),
            *request.destination(),
            ("Reason", str(reason)),
            ("Uniqueid", channel.uniqueid if channel is not None else UNKNOWN),
            ("CallerIDNum", number),
            ("CallerIDName", name),
        ],
    )
