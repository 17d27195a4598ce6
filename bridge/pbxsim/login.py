"""The simulated PBX's Login: accepted, or refused after a delay with the socket closed.

A login proves the secret in one of two ways, as Asterisk's manager.c ``authenticate`` checks
them: ``Secret`` sent as it is, or ``AuthType: MD5`` with ``Key`` = the lowercase hex MD5 of the
session's challenge (``Challenge AuthType=MD5``, allowed before Login) followed by the secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable

from bridge.ami.protocol import Header
from bridge.pbxsim.config import AmiUser, parse_classes
from bridge.pbxsim.events import event, successful_auth
from bridge.pbxsim.session import AmiSession, Reply


class LoginGate:
    """Checks logins against ``users`` and counts attempts, failures and successes.

    A wrong secret and an unknown user answer alike: ``delay`` seconds of nothing (Asterisk
    sleeps 1 s), ``Authentication failed``, then the session is closed. While ``refuse`` is
    True every login fails that way. An accepted login gets ``FullyBooted`` (when its events
    include ``system``) and every session with ``security`` events gets ``SuccessfulAuth``.
    ``fixed_challenge``, when set, is the challenge every session gets (else a random one).
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
        self.fixed_challenge: str | None = None
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
        if self.refuse or user is None or not self._proven(session, reply, user):
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

    def challenge(self, session: AmiSession, reply: Reply) -> None:
        """Answer ``Challenge``: the session's challenge (made at the first one), or an error
        for any AuthType but MD5. The session stays open either way."""
        if (reply.request.get("AuthType") or "").lower() != "md5":
            reply.error("Must specify AuthType")
            return
        if not session.challenge:
            # Asterisk prints a random long into a ten-byte buffer: at most nine digits.
            session.challenge = self.fixed_challenge or str(secrets.randbelow(2**31))[:9]
        reply.success(None, ("Challenge", session.challenge))

    @staticmethod
    def _proven(session: AmiSession, reply: Reply, user: AmiUser) -> bool:
        request = reply.request
        if (request.get("AuthType") or "").lower() != "md5":
            return (request.get("Secret") or "").strip() == user.secret
        key = request.get("Key") or ""
        if not key or not session.challenge:
            return False
        expected = hashlib.md5(  # the protocol's choice, not ours
            (session.challenge + user.secret).encode(), usedforsecurity=False
        ).hexdigest()
        return secrets.compare_digest(key, expected)


class LoginApi:
    """What tests script and read of logins (mixed into ``SimulatedPbx``)."""

    _gate: LoginGate

    @property
    def login_attempts(self) -> int:
        """Login actions read, accepted or not."""
        return self._gate.attempts

    @property
    def failed_logins(self) -> int:
        """Logins answered ``Authentication failed``."""
        return self._gate.failures

    @property
    def refuse_logins(self) -> bool:
        """While True every Login gets the wrong-secret answer (delay, error, socket closed)."""
        return self._gate.refuse

    @refuse_logins.setter
    def refuse_logins(self, value: bool) -> None:
        self._gate.refuse = value

    @property
    def challenge(self) -> str | None:
        """The MD5 challenge every new session gets (None: a random one each, as Asterisk)."""
        return self._gate.fixed_challenge

    @challenge.setter
    def challenge(self, value: str | None) -> None:
        self._gate.fixed_challenge = value
