"""What the bridge asks of an AMI user: every action it sends, with the write classes Asterisk
requires for it, in a form that changes nothing on the PBX; and the read classes of its events.

The classes are those each action is registered with in Asterisk's own source
(``ast_manager_register_xml(name, authority, ...)``): ``main/manager.c`` (Ping, Originate,
Setvar, Getvar, Hangup, BlindTransfer, CoreShowChannels, CoreSettings), ``main/db.c`` (DBPut,
DBDel, DBGet, DBGetTree), ``main/extension_state.c`` (ExtensionStateList),
``res/res_manager_devicestate.c`` (DeviceStateList), ``apps/app_queue.c`` (QueueStatus,
QueueSummary, QueuePause) and ``res/res_pjsip/pjsip_configuration.c`` (PJSIPShowEndpoints,
PJSIPShowEndpoint). Any one of an action's classes in the user's ``write =`` lets it run
(``process_message`` in manager.c tests ``writeperm & authority``); an action registered with
none runs for every logged-in user.

Asterisk checks the classes before the action runs: an action sent without a header it
requires is answered ``Permission denied`` when a class is missing, and otherwise refused for
the missing header, having done nothing. The event classes come from the ``Privilege`` lines of
the events the bridge binds (``bridge.live.updater``, ``bridge.originates``), as the captures
in ``tests/fixtures/ami-captures`` show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

# An AstDB family of the check's own: a key there is only ever read, never written.
CHECK_FAMILY = "bridge-check"


class Need(Enum):
    """When the bridge cannot do without an action."""

    ALWAYS = "always"
    QUEUES = "queues"  # only where the core server has queues (app_queue registers it)
    IMPORT = "import"  # only ``bridge import ami``


@dataclass(frozen=True, slots=True)
class Probe:
    """One action the bridge sends, tried as ``headers`` (a form that changes nothing)."""

    headers: dict[str, str]
    classes: tuple[str, ...]  # write classes, any one of which lets it run; () none needed
    used_for: str
    need: Need = Need.ALWAYS
    module: str = ""  # the Asterisk module that registers it, when not the core
    list_reply: bool = field(default=False)

    @property
    def action(self) -> str:
        return self.headers["Action"]


PROBES: tuple[Probe, ...] = (
    Probe({"Action": "Ping"}, (), "keep-alive"),
    # No Channel: "Channel not specified", nothing is dialled.
    Probe({"Action": "Originate"}, ("originate",), "click-to-call"),
    # No Key: "No key specified", nothing is written.
    Probe({"Action": "DBPut", "Family": CHECK_FAMILY}, ("system",), "DND on"),
    Probe({"Action": "DBDel", "Family": CHECK_FAMILY}, ("system",), "DND off"),
    # Reads of a family of the check's own, which holds nothing.
    Probe(
        {"Action": "DBGet", "Family": CHECK_FAMILY, "Key": "probe"},
        ("system", "reporting"),
        "reading DND",
    ),
    Probe(
        {"Action": "DBGetTree", "Family": CHECK_FAMILY},
        ("system", "reporting"),
        "reading DND",
        list_reply=True,
    ),
    # No Variable: "No variable specified", nothing is set.
    Probe({"Action": "Setvar"}, ("call",), "the DND device state"),
    Probe(
        {"Action": "Getvar", "Variable": f"DEVICE_STATE(Custom:{CHECK_FAMILY})"},
        ("call", "reporting"),
        "device states",
    ),
    Probe(
        {"Action": "CoreShowChannels"},
        ("system", "reporting"),
        "calls after a reconnect",
        list_reply=True,
    ),
    Probe(
        {"Action": "DeviceStateList"},
        ("call", "reporting"),
        "device states after a reconnect",
        module="res_manager_devicestate",
        list_reply=True,
    ),
    Probe(
        {"Action": "ExtensionStateList"},
        ("call", "reporting"),
        "hints after a reconnect",
        list_reply=True,
    ),
    # A queue of that name does not exist: an empty list.
    Probe(
        {"Action": "QueueStatus", "Queue": CHECK_FAMILY},
        (),
        "queue members and callers",
        Need.QUEUES,
        "app_queue",
        list_reply=True,
    ),
    Probe(
        {"Action": "QueueSummary", "Queue": CHECK_FAMILY},
        (),
        "queue statistics",
        Need.QUEUES,
        "app_queue",
        list_reply=True,
    ),
    # No Interface: "Need 'Interface' and 'Paused' parameters.", nobody is paused.
    Probe({"Action": "QueuePause"}, ("agent",), "pause and unpause", Need.QUEUES, "app_queue"),
    # No Channel: "No channel specified", nothing is hung up or transferred.
    Probe({"Action": "Hangup"}, ("system", "call"), "hang-up"),
    Probe({"Action": "BlindTransfer"}, ("call",), "transfer"),
    Probe(
        {"Action": "PJSIPShowEndpoints"},
        ("system",),
        "bridge import ami",
        Need.IMPORT,
        "res_pjsip",
        list_reply=True,
    ),
    # No Endpoint: "PJSIPShowEndpoint requires an endpoint name".
    Probe(
        {"Action": "PJSIPShowEndpoint"}, ("system",), "bridge import ami", Need.IMPORT, "res_pjsip"
    ),
)

# Read classes of the events the bridge follows (Privilege: call,all / agent,all).
READ_CLASSES: tuple[tuple[str, str], ...] = (
    ("call", "calls, device states, hints, originate outcomes"),
    ("agent", "queue members"),
)

# Asterisk's version (CoreSettings needs 'system' or 'reporting', which DBGet needs too).
CORE_SETTINGS = {"Action": "CoreSettings"}


def class_list(classes: tuple[str, ...]) -> str:
    """``'system'``, ``'system' or 'reporting'``."""
    return " or ".join(f"'{name}'" for name in classes)
