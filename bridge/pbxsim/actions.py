"""The simulated PBX's read/write actions: Ping, CoreSettings, variables, states, channels,
queues, CLI.

Texts and header orders are those of the captures; the error texts of cases the captures do not
show (a missing Family, say) are those of Asterisk's source.
"""

from __future__ import annotations

import time
from typing import Literal

from bridge.ami.protocol import Header
from bridge.pbxsim.channels import UNKNOWN, Channel, channel_event, channel_headers
from bridge.pbxsim.config import Queue
from bridge.pbxsim.members import member_headers
from bridge.pbxsim.session import ActionHandler, Reply
from bridge.pbxsim.state import DEVICE_STATES, PbxState, extension_state_text

# The build of the captures.
ASTERISK_VERSION = "22.10.1"


def _get(reply: Reply, key: str) -> str:
    return (reply.request.get(key) or "").strip()


def _or_unknown(value: str) -> str:
    """QueueEntry writes ``unknown`` (no brackets) for an absent caller ID part."""
    return "unknown" if value == UNKNOWN else value


class StateActions:
    """Handlers of the actions that read or change :class:`PbxState`."""

    def __init__(self, state: PbxState) -> None:
        self._state = state

    def handlers(self) -> dict[str, ActionHandler]:
        """Lower-case action name -> handler."""
        return {
            "ping": self.ping, "setvar": self.setvar, "getvar": self.getvar,
            "extensionstate": self.extension_state,
            "coreshowchannels": self.core_show_channels, "queuestatus": self.queue_status,
            "queuesummary": self.queue_summary, "command": self.command,
            "coresettings": self.core_settings,
        }  # fmt: skip

    def ping(self, reply: Reply) -> None:
        reply.success(None, ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))

    def core_settings(self, reply: Reply) -> None:
        """As manager.c's ``action_coresettings`` writes it (no capture shows it)."""
        reply.success(
            None,
            ("AMIversion", "11.0.0"), ("AsteriskVersion", ASTERISK_VERSION), ("SystemName", ""),
            ("CoreMaxCalls", "0"), ("CoreMaxLoadAvg", "0.000000"), ("CoreRunUser", ""),
            ("CoreRunGroup", ""), ("CoreMaxFilehandles", "0"), ("CoreRealTimeEnabled", "No"),
            ("CoreCDRenabled", "Yes"), ("CoreHTTPenabled", "No"), ("SoundsSearchCustomDir", "No"),
        )  # fmt: skip

    def setvar(self, reply: Reply) -> None:
        variable, value = _get(reply, "Variable"), reply.request.get("Value") or ""
        if not variable:
            reply.error("No variable specified")
            return
        channel = self._channel(reply)
        if channel is False:
            return
        reply.success("Variable Set")
        if variable.upper().startswith("DEVICE_STATE(") and variable.endswith(")"):
            device = variable[13:-1]
            if device.lower().startswith("custom:"):
                state = value.strip().upper()
                self._state.set_device_state(
                    "Custom:" + device[7:], state if state in DEVICE_STATES else "UNKNOWN"
                )
        elif channel is None:
            self._state.globals[variable] = value
        else:
            channel.variables[variable] = value
            extra = (("Variable", variable), ("Value", value))
            self._state.emit(channel_event("VarSet", channel, *extra, privilege="dialplan"))

    def getvar(self, reply: Reply) -> None:
        variable = _get(reply, "Variable")
        if not variable:
            reply.error("No variable specified")
            return
        channel = self._channel(reply)
        if channel is False:
            return
        if variable.upper().startswith("DEVICE_STATE(") and variable.endswith(")"):
            value = self._state.device_state(variable[13:-1])
        elif channel is None:
            value = self._state.globals.get(variable, "")
        else:
            value = channel.variables.get(variable, "")
        reply.success(None, ("Variable", variable), ("Value", value))

    def _channel(self, reply: Reply) -> Channel | Literal[False] | None:
        """The channel named by ``Channel``; None without one; False (answered) if unknown."""
        name = _get(reply, "Channel")
        if not name:
            return None
        channel = self._state.channels.get(name)
        if channel is None:
            reply.error("No such channel")
            return False
        return channel

    def extension_state(self, reply: Reply) -> None:
        exten, context = _get(reply, "Exten"), _get(reply, "Context") or "default"
        if not exten:
            reply.error("Extension not specified")
            return
        hint, status = self._state.extension_state(context, exten)
        reply.success(
            "Extension Status", ("Exten", exten), ("Context", context), ("Hint", hint),
            ("Status", str(status)), ("StatusText", extension_state_text(status)),
        )  # fmt: skip

    def core_show_channels(self, reply: Reply) -> None:
        reply.list_start("Channels will follow")
        channels = list(reversed(self._state.channels.values()))
        now = time.monotonic()
        for channel in channels:
            seconds = max(0, int(now - channel.created))
            duration = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            reply.session.send(
                [
                    ("Event", "CoreShowChannel"), *reply.action_id, *channel_headers(channel),
                    ("Application", channel.application), ("ApplicationData", channel.app_data),
                    ("Duration", duration), ("BridgeId", channel.bridge_id),
                ]
            )  # fmt: skip
        reply.list_complete("CoreShowChannelsComplete", len(channels))

    def _member_status(self, device: str) -> int:
        return DEVICE_STATES.index(self._state.device_state(device))

    def queue_status(self, reply: Reply) -> None:
        wanted, member_filter = _get(reply, "Queue"), _get(reply, "Member")
        reply.list_start("Queue status will follow")
        count = 0
        for queue in self._state.config.queues.values():
            if wanted and queue.name != wanted:
                continue
            reply.list_item(
                "QueueParams",
                [
                    ("Queue", queue.name), ("Max", str(queue.max)), ("Strategy", queue.strategy),
                    ("Calls", str(len(queue.callers))), ("Holdtime", str(queue.holdtime)),
                    ("TalkTime", str(queue.talktime)), ("Completed", str(queue.completed)),
                    ("Abandoned", str(queue.abandoned)),
                    ("ServiceLevel", str(queue.service_level)),
                    ("ServicelevelPerf", f"{queue.service_level_perf:.1f}"),
                    ("ServicelevelPerf2", f"{queue.service_level_perf2:.1f}"),
                    ("Weight", str(queue.weight)),
                ],
            )  # fmt: skip
            count += 1
            for member in queue.members:
                if member_filter and member_filter not in (member.interface, member.name):
                    continue
                status = self._member_status(member.device)
                headers: list[Header] = [("Queue", queue.name), *member_headers(member, status)]
                reply.list_item("QueueMember", headers)
                count += 1
            count += self._queue_entries(reply, queue)
        reply.list_complete("QueueStatusComplete", count)

    def _queue_entries(self, reply: Reply, queue: Queue) -> int:
        """``QueueEntry`` of each caller waiting in ``queue`` (as app_queue lists them)."""
        now = time.monotonic()
        channels = {c.uniqueid: c for c in self._state.channels.values()}
        position = 0
        for uniqueid, joined in queue.callers.items():
            channel = channels.get(uniqueid)
            if channel is None:
                continue
            position += 1
            reply.list_item(
                "QueueEntry",
                [
                    ("Queue", queue.name), ("Position", str(position)),
                    ("Channel", channel.name), ("Uniqueid", uniqueid),
                    ("CallerIDNum", _or_unknown(channel.cid_num)),
                    ("CallerIDName", _or_unknown(channel.cid_name)),
                    ("ConnectedLineNum", _or_unknown(channel.connected_num)),
                    ("ConnectedLineName", _or_unknown(channel.connected_name)),
                    ("Wait", str(int(now - joined))), ("Priority", "0"),
                ],
            )  # fmt: skip
        return position

    def queue_summary(self, reply: Reply) -> None:
        wanted = _get(reply, "Queue")
        reply.list_start("Queue summary will follow")
        queues = [q for q in self._state.config.queues.values() if not wanted or q.name == wanted]
        for queue in queues:
            statuses = [(m, self._member_status(m.device)) for m in queue.members]
            logged_in = [(m, s) for m, s in statuses if s not in (4, 5)]
            available = [m for m, s in logged_in if not m.paused and s in (0, 1)]
            longest = int(time.monotonic() - min(queue.callers.values(), default=time.monotonic()))
            reply.list_item(
                "QueueSummary",
                [
                    ("Queue", queue.name), ("LoggedIn", str(len(logged_in))),
                    ("Available", str(len(available))), ("Callers", str(len(queue.callers))),
                    ("HoldTime", str(queue.holdtime)), ("TalkTime", str(queue.talktime)),
                    ("LongestHoldTime", str(longest)),
                ],
            )  # fmt: skip
        reply.list_complete("QueueSummaryComplete", len(queues))

    def command(self, reply: Reply) -> None:
        line = " ".join(_get(reply, "Command").split())
        output = self._state.config.cli.get(line)
        if output is not None:
            reply.success("Command output follows", *[("Output", text) for text in output])
            return
        hint = " ".join(line.split()[:2])
        text = (
            f"No such command '{line}' (type 'core show help {hint}' for other possible commands)"
        )
        reply.respond("Error", "Command output follows", ("Output", text))
