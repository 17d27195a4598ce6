"""Reads a PBX's inventory over AMI, logged in as the bridge's links log in (MD5 or plain, TLS).

As Asterisk 22 answers (``tests/fixtures/ami-captures/pjsip/pjsip_inventory``, ``sync_idle``):
``PJSIPShowEndpoints`` lists the endpoints (``EndpointList``), ``ExtensionStateList`` the hints
(``ExtensionStatus``: ``Exten``, ``Hint`` such as ``PJSIP/4224&Custom:DND4224``),
``PJSIPShowEndpoint`` one endpoint's settings (``EndpointDetail``, whose ``Callerid`` is
``"Phone 4224" <4224>``) and ``QueueStatus`` the queues (``QueueParams``) and their members
(``QueueMember``: ``Location``, ``StateInterface``, ``Membership``, ``Name``, ``Penalty``).

An endpoint is an extension when a hint names its device (the hint's extension is its number,
its own id preferred), or, with no hint, when its id is a number (FreePBX names its endpoints
after the extension); other endpoints (trunks) are left out. Only static members are read:
dynamic ones come and go, and the live state shows them as they are.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bridge.ami.connection import (
    AmiEndpoint,
    AmiReply,
    ConnectFailed,
    LoginRefused,
    LoginUnanswered,
    ask,
    connect,
    log_in,
)
from bridge.ami.protocol_client import AmiDisconnected, ClientProtocol
from bridge.inventory import (
    Inventory,
    InventoryError,
    PbxExtension,
    PbxMember,
    PbxQueue,
    clean_name,
    is_identifier,
    is_number,
    penalty_of,
)

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"\s*<([^>]*)>')
_BARE = re.compile(r"(.*?)\s*<([^>]*)>")
_ESCAPE = re.compile(r"\\(.)")
_NOT_AN_EXTENSION = "not an extension: no hint names it, and its name is not a number"


async def read_ami_inventory(endpoint: AmiEndpoint, within: float) -> Inventory:
    """Everything the PBX at ``endpoint`` says it has; ``within``: seconds for each step."""
    protocol = await _open(endpoint, within)
    try:
        return await _read(protocol, within, Inventory(f"Asterisk at {endpoint} over AMI"))
    except TimeoutError:
        raise InventoryError(f"Asterisk at {endpoint} did not answer in time") from None
    except AmiDisconnected:
        raise InventoryError(f"Asterisk at {endpoint} closed the connection") from None
    finally:
        if not protocol.closed:
            with contextlib.suppress(TimeoutError, AmiDisconnected):
                await ask(protocol, {"Action": "Logoff"}, min(within, 1.0))
            protocol.close()


async def _open(endpoint: AmiEndpoint, within: float) -> ClientProtocol:
    try:
        protocol = await connect(endpoint, lambda: ClientProtocol(_ignore), within)
    except ConnectFailed as exc:
        raise InventoryError(f"cannot reach Asterisk at {endpoint}: {exc}") from None
    try:
        await log_in(protocol, endpoint, within)
    except (LoginRefused, LoginUnanswered) as exc:
        protocol.close()
        raise InventoryError(f"Asterisk at {endpoint}: {exc}") from None
    return protocol


def _ignore(_message: object) -> None:
    """Events that answer no action (calls going on meanwhile) are not wanted here."""


async def _list(
    protocol: ClientProtocol, action: str, within: float, **headers: str
) -> AmiReply | None:
    """The answer of a list action; None when Asterisk lacks the module that has it (or, for
    PJSIPShowEndpoints, has no endpoints); InventoryError when it refuses."""
    reply = await ask(protocol, {"Action": action, **headers}, within, expect_list=True)
    if reply.response.get("Response") == "Success":
        return reply
    message = str(reply.response.get("Message") or "").strip()
    if message.startswith("Invalid/unknown command") or message == "No endpoints found":
        return None
    if message == "Permission denied":
        raise InventoryError(f"the AMI user may not run {action} ({_needs(action)})")
    raise InventoryError(f"Asterisk refused {action}: {message or 'no reason given'}")


def _needs(action: str) -> str:
    if action.startswith("PJSIP"):
        return "it needs the write class 'system' in manager.conf"
    return "it needs the write class 'call' or 'reporting' in manager.conf"


def _events(reply: AmiReply | None, name: str) -> list[Mapping[str, Any]]:
    if reply is None:
        return []
    return [event for event in reply.events if event.get("Event") == name]


def _text(event: Mapping[str, Any], key: str) -> str:
    value = event.get(key)
    return value if isinstance(value, str) else ""


async def _read(protocol: ClientProtocol, within: float, inventory: Inventory) -> Inventory:
    reply = await _list(protocol, "PJSIPShowEndpoints", within)
    if reply is None:
        inventory.skipped.append("no extensions read: Asterisk has no PJSIP endpoints")
    endpoints = [_text(e, "ObjectName") for e in _events(reply, "EndpointList")]
    hints = _events(await _list(protocol, "ExtensionStateList", within), "ExtensionStatus")
    for endpoint, number in _numbers(endpoints, hints, inventory).items():
        name = await _caller_id_name(protocol, endpoint, within)
        inventory.extensions.append(PbxExtension(number, name, f"PJSIP/{endpoint}"))
    queues = await _list(protocol, "QueueStatus", within)
    if queues is None:
        inventory.skipped.append("no queues read: Asterisk has no app_queue")
    _queues(queues, inventory)
    return inventory


def _numbers(
    endpoints: Sequence[str], hints: Sequence[Mapping[str, Any]], inventory: Inventory
) -> dict[str, str]:
    """Endpoint id -> its extension number, for the endpoints that are extensions."""
    named: dict[str, list[str]] = {}
    for hint in hints:
        for device in _text(hint, "Hint").split("&"):
            if device.startswith("PJSIP/"):
                named.setdefault(device[6:], []).append(_text(hint, "Exten"))
    numbers: dict[str, str] = {}
    taken: set[str] = set()
    for endpoint in sorted(set(endpoints)):
        extens = named.get(endpoint, [])
        number = endpoint if endpoint in extens or (not extens and endpoint.isdigit()) else ""
        number = number or min(extens, default="")
        if not is_identifier(endpoint):
            inventory.skip("endpoint", endpoint, "its name cannot be a device name")
        elif not number:
            inventory.skip("endpoint", endpoint, _NOT_AN_EXTENSION)
        elif not is_number(number):
            inventory.skip("extension", number, "not a usable extension number")
        elif number in taken:
            inventory.skip("endpoint", endpoint, f"extension {number} is another endpoint's")
        else:
            numbers[endpoint] = number
            taken.add(number)
    return numbers


async def _caller_id_name(protocol: ClientProtocol, endpoint: str, within: float) -> str | None:
    reply = await ask(
        protocol, {"Action": "PJSIPShowEndpoint", "Endpoint": endpoint}, within, expect_list=True
    )
    details = _events(reply, "EndpointDetail")
    return caller_id_name(_text(details[0], "Callerid")) if details else None


def caller_id_name(caller_id: str) -> str | None:
    """The name in an endpoint's ``Callerid`` (``"Name" <number>``, ``Name <number>``, a bare
    name or number, or ``<unknown>``), cleaned; None when it has none."""
    text = caller_id.strip()
    quoted = _QUOTED.fullmatch(text)
    if quoted is not None:
        return clean_name(_ESCAPE.sub(r"\1", quoted[1]))
    bare = _BARE.fullmatch(text)
    if bare is not None:
        return clean_name(bare[1])
    if not text or text.isdigit() or text == "<unknown>":
        return None
    return clean_name(text)


def _queues(reply: AmiReply | None, inventory: Inventory) -> None:
    queues: set[str] = set()
    for event in _events(reply, "QueueParams"):
        identifier = _text(event, "Queue")
        if not is_identifier(identifier):
            inventory.skip("queue", identifier, "not a usable queue name")
        elif identifier not in queues:
            queues.add(identifier)
            inventory.queues.append(PbxQueue(identifier, None))
    for event in _events(reply, "QueueMember"):
        identifier, interface = _text(event, "Queue"), _text(event, "Location")
        if identifier not in queues or _text(event, "Membership") != "static":
            continue
        if not is_identifier(interface):
            inventory.skip("member", interface, f"of queue {identifier}: not a usable interface")
            continue
        name = _text(event, "Name")
        inventory.members.append(
            PbxMember(
                identifier,
                interface,
                _text(event, "StateInterface"),
                None if name == interface else clean_name(name),
                penalty_of(_text(event, "Penalty")),
            )
        )
