"""The AMI actions the bridge sends, one small function each (headers only; no I/O)."""

from __future__ import annotations

import uuid


def new_action_id() -> str:
    return f"bridge-{uuid.uuid4().hex}"


def originate(
    action_id: str, device: str, context: str, exten: str, caller_id: str, timeout_ms: int
) -> dict[str, str]:
    return {
        "Action": "Originate",
        "ActionID": action_id,
        "Channel": device,
        "Context": context,
        "Exten": exten,
        "Priority": "1",
        "CallerID": caller_id,
        "Timeout": str(timeout_ms),
        "Async": "true",
    }


def db_put(family: str, key: str, value: str) -> dict[str, str]:
    return {"Action": "DBPut", "Family": family, "Key": key, "Val": value}


def db_del(family: str, key: str) -> dict[str, str]:
    return {"Action": "DBDel", "Family": family, "Key": key}


def db_get(family: str, key: str) -> dict[str, str]:
    return {"Action": "DBGet", "Family": family, "Key": key}


def db_get_tree(family: str) -> dict[str, str]:
    return {"Action": "DBGetTree", "Family": family}


def getvar(variable: str, channel: str | None = None) -> dict[str, str]:
    """``Getvar`` of a channel's variable or function; with no Channel, of a global one
    (``DEVICE_STATE(Local/1001@internal)``)."""
    headers = {"Action": "Getvar", "Variable": variable}
    if channel is not None:
        headers["Channel"] = channel
    return headers


def set_custom_device_state(name: str, state: str) -> dict[str, str]:
    """``Setvar`` of ``DEVICE_STATE(Custom:<name>)`` with no Channel: a global function write."""
    return {"Action": "Setvar", "Variable": f"DEVICE_STATE(Custom:{name})", "Value": state}


def caller_id(display_name: str, number: str) -> str:
    """``"Name" <number>``; the name loses ``"``, ``<``, ``>`` and control characters."""
    name = "".join(c for c in display_name if c not in '"<>' and c.isprintable()).strip()
    return f'"{name}" <{number}>'
