"""The simulated PBX's Login: accepted, or refused after a delay with the socket closed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bridge.ami.protocol import Header
from bridge.ami.sim_config import AmiUser, parse_classes
from bridge.ami.sim_events import event, successful_auth
from bridge.ami.sim_session import AmiSession, Reply


class LoginGate:
    """Checks logins against ``users`` and counts attempts, failures and successes.

    A wrong secret and an unknown user answer alike: ``delay`` seconds of nothing (Asterisk
    sleeps 1 s), ``Authentication failed``, then the session is closed. While ``refuse`` is
    True every login fails that way. An accepted login gets ``FullyBooted`` (when its events
    include ``system``) and every session with ``security`` events gets ``SuccessfulAuth``.
    """

    def __init__(
        self,
        users: dict[str, AmiUser],
        delay: float,
        broadcast: Callable[[list[Header]], int],
        changed: Callable[[], None],
        uptime: Callable[[], int],
    ) -> None:
        self.users = users
        self.delay = delay
        self.refuse = False
        self.attempts = 0
        self.failures = 0
        self.successes = 0
        self._broadcast = broadcast
        self._changed = changed
        self._uptime = uptime

    async def login(self, session: AmiSession, reply: Reply) -> bool:
        """Answer a Login; False when the session must be closed."""
        self.attempts += 1
        self._changed()
        username = (reply.request.get("Username") or "").strip()
        user = self.users.get(username)
        secret = (reply.request.get("Secret") or "").strip()
        if self.refuse or user is None or secret != user.secret:
            self.failures += 1
            self._changed()
            await asyncio.sleep(self.delay)
            reply.error("Authentication failed")
            return False
        events = reply.request.get("Events")
        session.username = username
        session.read, session.write = user.read, user.write
        session.events = user.read if events is None else parse_classes(events) & user.read
        session.authenticated = True
        self.successes += 1
        reply.success("Authentication accepted")
        if "system" in session.events:
            uptime = str(self._uptime())
            session.send(
                event(
                    "FullyBooted",
                    "system",
                    [("Uptime", uptime), ("LastReload", uptime), ("Status", "Fully Booted")],
                )
            )
        self._broadcast(successful_auth(session.info()))
        return True
