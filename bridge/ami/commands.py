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


def hangup(action_id: str, channel: str) -> dict[str, str]:
    return {"Action": "Hangup", "ActionID": action_id, "Channel": channel}


def blind_transfer(action_id: str, channel: str, context: str, exten: str) -> dict[str, str]:
    """``BlindTransfer`` of ``channel``: its bridged peer goes to ``context``/``exten``."""
    return {
        "Action": "BlindTransfer",
        "ActionID": action_id,
        "Channel": channel,
        "Context": context,
        "Exten": exten,
    }


def queue_pause(
    action_id: str, queue: str, interface: str, paused: bool, reason: str = ""
) -> dict[str, str]:
    """``QueuePause`` of one member of one queue; no ``Reason`` header without a reason (the
    ``queue_pause_reason`` capture's unpause sends none)."""
    headers = {
        "Action": "QueuePause",
        "ActionID": action_id,
        "Queue": queue,
        "Interface": interface,
        "Paused": "true" if paused else "false",
    }
    if reason:
        headers["Reason"] = reason
    return headers


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
