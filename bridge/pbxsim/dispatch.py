"""How the simulated PBX answers one request: record it, apply the test's rules, then answer.

The order of checks is Asterisk's: a request without ``Action`` is an error (and a
``RequestBadFormat`` security event); before Login everything but Login, Logoff and Challenge
is ``Permission denied``; an unknown action names itself in the error and raises
``RequestBadFormat`` too; an action outside the user's write classes is ``Permission denied``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from types import MappingProxyType
from typing import Any

from bridge.ami.protocol import AmiParser, Header, Message
from bridge.pbxsim.events import request_bad_format
from bridge.pbxsim.login import LoginGate
from bridge.pbxsim.script import ActionLog, ActionRecord, ActionRules
from bridge.pbxsim.session import ActionHandler, AmiSession, Reply

# Write classes an action needs (any one of them), as Asterisk registers them
# (ast_manager_register_xml in main/manager.c, main/db.c, main/extension_state.c,
# res/res_manager_devicestate.c, apps/app_queue.c, res/res_pjsip/pjsip_configuration.c);
# an action not listed (Ping, QueueStatus, QueueSummary) needs none.
WRITE_CLASSES = MappingProxyType({
    "dbput": ("system",), "dbdel": ("system",), "dbdeltree": ("system",),
    "dbget": ("system", "reporting"), "dbgettree": ("system", "reporting"),
    "originate": ("originate",), "setvar": ("call",), "getvar": ("call", "reporting"),
    "command": ("command",), "coreshowchannels": ("system", "reporting"),
    "extensionstate": ("call", "reporting"), "hangup": ("system", "call"),
    "devicestatelist": ("call", "reporting"), "extensionstatelist": ("call", "reporting"),
    "queueadd": ("agent",), "queueremove": ("agent",), "queuepause": ("agent",),
    "blindtransfer": ("call",), "redirect": ("call",),
    "coresettings": ("system", "reporting"), "pjsipshowendpoints": ("system",),
    "pjsipshowendpoint": ("system",),
})  # fmt: skip
UNKNOWN_ACTION = "Invalid/unknown command: {}. Use Action: ListCommands to show available commands."


class Dispatcher:
    """Answers requests for the server; returns False when the session is to be closed."""

    def __init__(
        self,
        log: ActionLog,
        rules: ActionRules,
        gate: LoginGate,
        handlers: dict[str, ActionHandler],
        broadcast: Callable[[list[Header]], int],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self._log = log
        self._rules = rules
        self._gate = gate
        self._handlers = handlers
        self._broadcast = broadcast
        self._spawn = spawn

    async def __call__(self, session: AmiSession, raw: bytes) -> bool:
        parsed = AmiParser(expect_banner=False).feed(raw)
        message = parsed[0] if parsed else Message()
        name = (message.get("Action") or "").strip()
        self._log.add(ActionRecord(session.number, name, message, raw))
        reply = Reply(session, message)
        key = name.lower()
        if not name:
            reply.error("Missing action in request")
            self._broadcast(request_bad_format(session.info(), "NONE"))
            return True
        if not session.authenticated and key not in ("login", "logoff", "challenge"):
            reply.error("Permission denied")
            return True
        failure = self._rules.failure_of(name)
        if failure is not None:
            reply.error(failure)
            return True
        stall = self._rules.stall_of(name)
        if stall is not None:
            release, block_session = stall
            if not block_session:
                self._spawn(self._answer_later(release, session, reply, key))
                return True
            await release.wait()
        return await self._answer(session, reply, key)

    async def _answer_later(
        self, release: asyncio.Event, session: AmiSession, reply: Reply, key: str
    ) -> None:
        await release.wait()
        if not session.closed and not await self._answer(session, reply, key):
            session.close()

    async def _answer(self, session: AmiSession, reply: Reply, key: str) -> bool:
        if key == "logoff":
            reply.respond("Goodbye", "Thanks for all the fish.")
            return False
        if key == "login":
            if session.authenticated:
                reply.success("Already authenticated")
                return True
            return await self._gate.login(session, reply)
        if key == "challenge":
            self._gate.challenge(session, reply)
            return True
        handler = self._handlers.get(key)
        name = (reply.request.get("Action") or "").strip()
        if handler is None:
            reply.error(UNKNOWN_ACTION.format(name))
            self._broadcast(request_bad_format(session.info(), name))
        elif key in WRITE_CLASSES and session.write.isdisjoint(WRITE_CLASSES[key]):
            reply.error("Permission denied")
        else:
            handler(reply)
        return True
