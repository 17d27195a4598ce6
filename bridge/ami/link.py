"""AmiLink: one supervised AMI connection to one core server.

The wrapper notes/panoramisk.md asks for: an explicit state (``connecting``, ``connected``,
``disconnected``, ``loginFailed``); reconnection with exponential back-off and jitter; a cap on
failed logins, after which the link waits ``login_retry_interval`` instead of hammering Asterisk
(fail2ban counts failed logins); its own heartbeat (Ping with a timeout; after
``heartbeat_misses`` misses the socket is aborted, which catches half-open links); a timeout on
every action; and pending actions failed, never re-sent, when the link drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bridge.ami.protocol import Message
from bridge.ami.protocol_client import AmiDisconnected, ClientProtocol
from bridge.errors import AmiActionFailed, AmiTimeout, AmiUnavailable, InvalidValue
from bridge.settings import AmiSettings

log = logging.getLogger(__name__)
action_log = logging.getLogger("bridge.ami.actions")


# (core server slug, action, outcome, seconds): metrics listen here.
ActionListener = Callable[[str, str, str, float], None]


class LinkState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    LOGIN_FAILED = "loginFailed"


@dataclass(frozen=True, slots=True)
class AmiEndpoint:
    host: str
    port: int
    username: str
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AmiReply:
    """An action's answer: the response, then the events of a list reply (if any)."""

    response: Mapping[str, Any]
    events: tuple[Mapping[str, Any], ...] = ()


class _Outcome(StrEnum):
    UNREACHABLE = "unreachable"
    LOGIN_FAILED = "login failed"
    LOST = "lost"
    CLOSED = "closed"


class AmiLink:
    """Keeps one logged-in AMI session up; ``send`` runs actions on it."""

    def __init__(
        self,
        name: str,
        endpoint: AmiEndpoint,
        settings: AmiSettings,
        on_event: Callable[[Message], None],
        on_state: Callable[[LinkState], None] | None = None,
        on_ready: Callable[[AmiLink], Awaitable[None]] | None = None,
        on_action: ActionListener | None = None,
    ) -> None:
        self.name = name
        self.endpoint = endpoint
        self._settings = settings
        self._on_event = on_event
        self._on_state = on_state
        self._on_ready = on_ready
        self._on_action = on_action
        self._state = LinkState.DISCONNECTED
        self._state_changed = asyncio.Condition()
        self._protocol: ClientProtocol | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.login_attempts = 0

    @property
    def state(self) -> LinkState:
        return self._state

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._supervise(), name=f"ami-link-{self.name}")

    async def close(self) -> None:
        """Log off and stop for good (a closed link never reconnects)."""
        self._closing = True
        protocol = self._protocol
        if protocol is not None and self._state is LinkState.CONNECTED:
            with contextlib.suppress(Exception):
                await self._request(protocol, {"Action": "Logoff"}, answer_within=1.0)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._protocol is not None:
            self._protocol.close()
        self._set_state(LinkState.DISCONNECTED)

    async def wait_for_state(self, *states: LinkState) -> LinkState:
        """Wait until the link is in one of ``states`` (bound it with ``asyncio.timeout``)."""
        async with self._state_changed:
            await self._state_changed.wait_for(lambda: self._state in states)
        return self._state

    async def send(
        self,
        headers: Mapping[str, str],
        *,
        expect_list: bool = False,
        answer_within: float | None = None,
    ) -> AmiReply:
        """Run one action; AmiUnavailable at once when the link is not up, AmiTimeout,
        AmiActionFailed on ``Response: Error``."""
        _refuse_line_breaks(headers)
        protocol = self._protocol
        if self._state is not LinkState.CONNECTED or protocol is None or protocol.closed:
            raise AmiUnavailable(
                f"The AMI link to core server {self.name} is {self._state}",
                error_id="ami-unavailable",
                amiStatus=str(self._state),
            )
        action = headers.get("Action", "?")
        started = time.perf_counter()
        try:
            reply = await self._request(
                protocol, headers, answer_within=answer_within, expect_list=expect_list
            )
        except TimeoutError:
            self._done(action, "timeout", started)
            raise AmiTimeout(f"Asterisk did not answer {action} in time") from None
        except AmiDisconnected:
            self._done(action, "disconnected", started)
            raise AmiUnavailable(
                f"The AMI link to core server {self.name} dropped before Asterisk answered"
                f" {action}; it was not sent again",
                error_id="ami-disconnected",
            ) from None
        if str(reply.response.get("Response", "")).lower() in ("error", "fail", "failure"):
            message = str(reply.response.get("Message", ""))
            self._done(action, "error", started, message)
            raise AmiActionFailed(
                f"Asterisk refused {action}: {message}", action=action, amiMessage=message
            )
        self._done(action, "ok", started)
        return reply

    async def _request(
        self,
        protocol: ClientProtocol,
        headers: Mapping[str, str],
        *,
        answer_within: float | None = None,
        expect_list: bool = False,
    ) -> AmiReply:
        future = protocol.send(dict(headers), as_list=None if expect_list else False)
        try:
            async with asyncio.timeout(answer_within or self._settings.action_timeout):
                result = await future
        except TimeoutError:
            protocol.forget(future)
            raise
        if isinstance(result, list):
            return AmiReply(result[0], tuple(result[1:]))
        return AmiReply(result)

    async def _supervise(self) -> None:
        delay = self._settings.reconnect_min
        failed_logins = 0
        while not self._closing:
            self._set_state(LinkState.CONNECTING)
            outcome = await self._run_once()
            if outcome is _Outcome.CLOSED:
                return
            if outcome is _Outcome.LOGIN_FAILED:
                failed_logins += 1
                if failed_logins >= self._settings.login_attempts:
                    log.error(
                        "AMI login to %s refused %d times; next try in %.0f s",
                        self.name,
                        failed_logins,
                        self._settings.login_retry_interval,
                    )
                    self._set_state(LinkState.LOGIN_FAILED)
                    await asyncio.sleep(self._settings.login_retry_interval)
                    continue
            elif outcome is _Outcome.LOST:
                failed_logins = 0
                delay = self._settings.reconnect_min
            self._set_state(LinkState.DISCONNECTED)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # jitter
            delay = min(delay * 2, self._settings.reconnect_max)

    async def _run_once(self) -> _Outcome:
        loop = asyncio.get_running_loop()
        endpoint = self.endpoint
        try:
            async with asyncio.timeout(self._settings.action_timeout):
                _, protocol = await loop.create_connection(
                    lambda: ClientProtocol(self._on_event, self._on_lost),
                    endpoint.host,
                    endpoint.port,
                )
        except (OSError, TimeoutError) as exc:
            log.warning(
                "AMI %s: cannot connect to %s:%d (%s)",
                self.name,
                endpoint.host,
                endpoint.port,
                type(exc).__name__,
            )
            return _Outcome.UNREACHABLE
        self._protocol = protocol
        heartbeat: asyncio.Task[None] | None = None
        ready: asyncio.Task[None] | None = None
        try:
            if not await self._login(protocol):
                return _Outcome.LOGIN_FAILED
            log.info("AMI %s: logged in to %s:%d", self.name, endpoint.host, endpoint.port)
            self._set_state(LinkState.CONNECTED)
            heartbeat = asyncio.create_task(self._heartbeat(protocol))
            if self._on_ready is not None:
                ready = asyncio.create_task(self._run_ready(self._on_ready))
            await asyncio.shield(protocol.lost)
            log.warning("AMI %s: connection lost", self.name)
            return _Outcome.CLOSED if self._closing else _Outcome.LOST
        finally:
            for task in (heartbeat, ready):
                if task is not None:
                    task.cancel()
            self._protocol = None
            protocol.close()

    async def _run_ready(self, on_ready: Callable[[AmiLink], Awaitable[None]]) -> None:
        try:
            await on_ready(self)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("AMI %s: start-up work after login failed", self.name)

    async def _login(self, protocol: ClientProtocol) -> bool:
        self.login_attempts += 1
        login = {
            "Action": "Login",
            "Username": self.endpoint.username,
            "Secret": self.endpoint.secret,
            "Events": "on",
        }
        try:
            reply = await self._request(protocol, login)
        except (TimeoutError, AmiDisconnected) as exc:
            log.warning("AMI %s: no answer to Login (%s)", self.name, type(exc).__name__)
            return False
        if reply.response.get("Response") == "Success":
            return True
        log.error("AMI %s: login refused: %s", self.name, reply.response.get("Message", ""))
        return False

    async def _heartbeat(self, protocol: ClientProtocol) -> None:
        interval = self._settings.heartbeat_interval
        misses = 0
        while not protocol.closed:
            await asyncio.sleep(interval)
            try:
                await self._request(protocol, {"Action": "Ping"}, answer_within=min(interval, 5.0))
                misses = 0
            except TimeoutError:
                misses += 1
                if misses >= self._settings.heartbeat_misses:
                    log.warning("AMI %s: %d pings unanswered; dropping the link", self.name, misses)
                    protocol.abort()
                    return
            except AmiDisconnected:
                return

    def _done(self, action: str, outcome: str, started: float, message: str = "") -> None:
        """One log line per AMI action: its name and outcome, never its headers (secrets)."""
        seconds = time.perf_counter() - started
        shown = f"{outcome}: {message}" if message else outcome
        action_log.info("AMI %s %s %s %.1f ms", self.name, action, shown, seconds * 1000)
        if self._on_action is not None:
            self._on_action(self.name, action, outcome, seconds)

    def _on_lost(self) -> None:
        # At once, not when the supervisor next runs: nothing may be sent on a dead link.
        if self._state is LinkState.CONNECTED:
            self._set_state(LinkState.DISCONNECTED)

    def _set_state(self, state: LinkState) -> None:
        if state is self._state:
            return
        self._state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                log.exception("AMI %s: state listener failed", self.name)
        asyncio.get_running_loop().create_task(self._notify_state())

    async def _notify_state(self) -> None:
        async with self._state_changed:
            self._state_changed.notify_all()


def _refuse_line_breaks(headers: Mapping[str, str]) -> None:
    """Nothing with CR or LF may reach the socket: it would inject AMI headers or actions."""
    for key, value in headers.items():
        if any(c in key or c in value for c in "\r\n\0"):
            raise InvalidValue(
                f"AMI header {key} would hold a line break; nothing was sent",
                error_id="invalid-ami-header",
            )
