"""The simulated PBX's dialplan: a channel runs the priorities of its extension.

Each priority is a ``Newexten`` (its AppData with the variables substituted, as Asterisk shows
it), then what the application does: ``Answer`` brings the channel Up (a Local ``;2`` answering
answers its ``;1``'s Dial or Queue: ``answered``); ``Set`` writes a channel variable
(``VarSet``), ``DB(family/key)`` into the AstDB (no event) or ``DEVICE_STATE(device)``;
``GotoIf`` jumps to a label when its condition is true; ``Wait`` keeps the channel there until
something ends the wait (:meth:`DialplanRunner.resume`); ``Hangup`` ends it (see ``hangups``);
``Dial`` and ``Queue`` hand it to the calls (``apps``), which resume it when they return. Any
other application (NoOp, Playback...) shows only its ``Newexten``. A dialplan that runs out ends
the channel quietly.

Substitution knows ``${EXTEN}``, ``${EXTEN:n}``, ``${CALLERID(num)}``, ``${CALLERID(name)}``,
``${DB_EXISTS(f/k)}``, ``${DB(f/k)}``, ``${DB_DELETE(f/k)}`` (it deletes, as the lab's ``*77``
does) and ``$[...]`` (its content), enough for the labs' dialplans.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bridge.pbxsim.channels import (
    RUNS_APP,
    RUNS_DIALPLAN,
    RUNS_OUTGOING,
    UNKNOWN,
    Channel,
    channel_event,
)
from bridge.pbxsim.hangups import DIALPLAN, QUIET, Hangups
from bridge.pbxsim.legs import ChannelOps

# An application: given the channel and its substituted data, the priority to run next, or
# None when the channel stays where it is (a Wait, a Dial) or has ended.
App = Callable[[Channel, str], int | None]
_VARIABLE = re.compile(r"\$\{([^${}]*)\}")
_EXPRESSION = re.compile(r"\$\[([^\[\]]*)\]")


class DialplanRunner:
    """Runs channels through the dialplan of :class:`~bridge.pbxsim.state.PbxState`."""

    def __init__(self, legs: ChannelOps, hangups: Hangups) -> None:
        self.legs = legs
        self.hangups = hangups
        self.state = legs.state
        self.answered: Callable[[Channel], None] = lambda channel: None
        self.scripts: dict[str, list[tuple[str, str]]] = {}  # channel name -> its own dialplan
        self.apps: dict[str, App] = {
            "Answer": self._answer, "Set": self._set, "GotoIf": self._goto_if,
            "Wait": lambda channel, data: None, "Hangup": self._hangup, "Busy": self._busy,
        }  # fmt: skip
        hangups.resume = self.resume
        hangups.settled.append(self._forget_scripts)

    def run(self, channel: Channel, priority: int = 1, *, arrived: bool = False) -> None:
        """Run ``channel``'s extension from ``priority`` until it waits or ends (``arrived``:
        its ``Newexten`` there went out already, see :meth:`arrive`)."""
        apps = self.apps_of(channel)
        while self.hangups.live(channel):
            if not 0 < priority <= len(apps):
                self.hangups.end(channel, QUIET)
                return
            name, data = apps[priority - 1]
            if arrived:
                data, arrived = channel.app_data, False
            else:
                data = self.expand(channel, data)
                self.legs.newexten(channel, name, data, priority=priority)
            app = self.apps.get(name)
            following = app(channel, data) if app is not None else priority + 1
            if following is None:
                return
            priority = following

    def arrive(self, channel: Channel, context: str, exten: str, priority: int = 1) -> None:
        """A transfer or a Redirect sends ``channel`` to a new place (it then runs the dialplan):
        its ``Newexten`` there still names the application it was in, as ``blind_transfer``,
        ``redirect`` and ``blind_transfer_sip`` show. Go on with ``run(..., arrived=True)``."""
        channel.runs, channel.context, channel.exten = RUNS_DIALPLAN, context, exten
        self.scripts.pop(channel.name, None)
        self.legs.newexten(channel, channel.application, channel.app_data, priority=priority)
        apps = self.apps_of(channel)
        if 0 < priority <= len(apps):
            name, data = apps[priority - 1]
            channel.application, channel.app_data = name, self.expand(channel, data)

    def apps_of(self, channel: Channel) -> list[tuple[str, str]]:
        """The priorities ``channel`` runs: a script of its own (a test routed it), else its
        extension's."""
        script = self.scripts.get(channel.name)
        if script is not None:
            return script
        return self.state.config.dialplan.apps(channel.context, channel.exten) or []

    def _forget_scripts(self) -> None:
        for name in [n for n in self.scripts if n not in self.state.channels]:
            del self.scripts[name]

    def resume(self, channel: Channel) -> None:
        """Go on after the current priority (its Wait ended, its Dial or Queue returned)."""
        self.run(channel, channel.priority + 1)

    def wait_over(self, channel: Channel) -> None:
        """The wait ``channel`` is in ends: its dialplan goes on after its ``Wait``, or the
        application an originate gave it returns and it ends (no cause set: 0)."""
        if channel.runs == RUNS_APP:
            self.hangups.end(channel, QUIET, 0)
        else:
            self.resume(channel)

    # -- applications ----------------------------------------------------------------------------
    def _answer(self, channel: Channel, data: str) -> int | None:
        if channel.state != 6:
            self.legs.newstate(channel, 6)
            partner = channel.partner
            if partner is not None and partner.runs == RUNS_OUTGOING:
                self.answered(channel)
        return channel.priority + 1

    def _set(self, channel: Channel, data: str) -> int | None:
        name, _, value = data.partition("=")
        inner = name[name.find("(") + 1 : -1] if name.endswith(")") else ""
        if name.startswith("DB("):
            self.state.astdb[f"/{inner}"] = value
        elif name.startswith("DEVICE_STATE("):
            self.state.set_device_state(inner, value.upper())
        else:
            channel.variables[name] = value
            extra = (("Variable", name), ("Value", value))
            self.legs.emit(channel_event("VarSet", channel, *extra, privilege="dialplan"))
        return channel.priority + 1

    def _goto_if(self, channel: Channel, data: str) -> int | None:
        condition, _, labels = data.partition("?")
        when_true, _, when_false = labels.partition(":")
        label = when_true if condition.strip() not in ("", "0") else when_false
        if not label:
            return channel.priority + 1
        entry = self.state.config.dialplan.find(channel.context, channel.exten)
        return entry.labels.get(label) if entry is not None else None

    def _hangup(self, channel: Channel, data: str) -> int | None:
        self.hangups.end(channel, DIALPLAN)
        return None

    def _busy(self, channel: Channel, data: str) -> int | None:
        channel.hangupcause = 17  # the caller hears busy and hangs up
        self.hangups.end(channel, DIALPLAN)
        return None

    # -- substitution ----------------------------------------------------------------------------
    def expand(self, channel: Channel, data: str) -> str:
        """``data`` with its variables and expressions replaced (see the module docstring)."""
        while True:
            done = _VARIABLE.sub(lambda m: self._value(channel, m[1]), data)
            done = _EXPRESSION.sub(lambda m: m[1].strip(), done)
            if done == data:
                return done
            data = done

    def _value(self, channel: Channel, name: str) -> str:
        function, _, argument = name.partition("(")
        argument = argument.removesuffix(")")
        astdb = self.state.astdb
        if name == "EXTEN" or name.startswith("EXTEN:"):
            offset = name.partition(":")[2]
            return channel.exten[int(offset or 0) :]
        if function == "CALLERID":
            value = channel.cid_num if argument == "num" else channel.cid_name
            return "" if value == UNKNOWN else value
        if function == "DB_EXISTS":
            return "1" if f"/{argument}" in astdb else "0"
        if function == "DB":
            return astdb.get(f"/{argument}", "")
        if function == "DB_DELETE":
            return astdb.pop(f"/{argument}", "")
        return channel.variables.get(name, "")
