"""AmiLink: one supervised AMI connection to one core server.

What panoramisk 1.4 alone lacks under faults: an explicit state (``connecting``, ``connected``,
``disconnected``, ``loginFailed``); reconnection with exponential back-off and jitter; a cap on
failed logins, after which the link waits ``login_retry_interval`` instead of hammering Asterisk
(fail2ban counts failed logins); its own heartbeat (Ping with a timeout; after
``heartbeat_misses`` misses the socket is aborted, which catches half-open links); a timeout on
every action; and pending actions failed, never re-sent, when the link drops. How it connects
and proves its secret (TLS, the MD5 challenge) is :mod:`bridge.ami.connection`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum

from bridge.ami.action_log import ActionListener, ActionLog
from bridge.ami.backoff import Outcome, RetryPolicy
from bridge.ami.connection import (
    AmiEndpoint,
    AmiReply,
    ConnectFailed,
    LoginRefused,
    LoginUnanswered,
    ask,
    connect,
    keep_alive,
    log_in,
    refuse_line_breaks,
)
from bridge.ami.protocol import Message
from bridge.ami.protocol_client import AmiDisconnected, ClientProtocol
from bridge.errors import AmiActionFailed, AmiTimeout, AmiUnavailable
from bridge.settings import AmiSettings

log = logging.getLogger(__name__)


class LinkState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    LOGIN_FAILED = "loginFailed"


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
        self._actions = ActionLog(name, on_action)
        self._state = LinkState.DISCONNECTED
        self._state_changed = asyncio.Condition()
        self._protocol: ClientProtocol | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.login_attempts = 0
        # What went wrong last, in words (the API's amiStatusReason); None while connected.
        self.status_reason: str | None = None

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
                await ask(protocol, {"Action": "Logoff"}, 1.0)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._protocol is not None:
            self._protocol.close()
        self.status_reason = "closed"
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
        refuse_line_breaks(headers)
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
            within = answer_within or self._settings.action_timeout
            reply = await ask(protocol, headers, within, expect_list=expect_list)
        except TimeoutError:
            self._actions.done(action, "timeout", started)
            raise AmiTimeout(f"Asterisk did not answer {action} in time") from None
        except AmiDisconnected:
            self._actions.done(action, "disconnected", started)
            raise AmiUnavailable(
                f"The AMI link to core server {self.name} dropped before Asterisk answered"
                f" {action}; it was not sent again",
                error_id="ami-disconnected",
            ) from None
        if str(reply.response.get("Response", "")).lower() in ("error", "fail", "failure"):
            message = str(reply.response.get("Message", ""))
            self._actions.done(action, "error", started, message)
            raise AmiActionFailed(
                f"Asterisk refused {action}: {message}", action=action, amiMessage=message
            )
        self._actions.done(action, "ok", started)
        return reply

    async def _supervise(self) -> None:
        policy = RetryPolicy(self._settings)
        while not self._closing:
            self._set_state(LinkState.CONNECTING)
            outcome = await self._run_once()
            if outcome is Outcome.CLOSED:
                return
            retry = policy.next(outcome)
            if retry.login_failed:
                log.error(
                    "AMI login to %s refused %d times; next try in %.0f s",
                    self.name,
                    policy.failed_logins,
                    retry.seconds,
                )
                self._set_state(LinkState.LOGIN_FAILED)
                await asyncio.sleep(retry.seconds)
                continue
            self._set_state(LinkState.DISCONNECTED)
            await asyncio.sleep(retry.seconds * random.uniform(0.5, 1.0))  # jitter

    async def _run_once(self) -> Outcome:
        endpoint = self.endpoint
        try:
            protocol = await connect(
                endpoint,
                lambda: ClientProtocol(self._on_event, self._on_lost),
                self._settings.action_timeout,
            )
        except ConnectFailed as exc:
            log.warning("AMI %s: cannot connect to %s: %s", self.name, endpoint, exc)
            self.status_reason = exc.reason
            return Outcome.UNREACHABLE
        self._protocol = protocol
        heartbeat: asyncio.Task[None] | None = None
        ready: asyncio.Task[None] | None = None
        try:
            self.login_attempts += 1
            try:
                await log_in(protocol, endpoint, self._settings.action_timeout)
            except LoginRefused as exc:
                log.error("AMI %s: %s", self.name, exc)
                self.status_reason = exc.reason
                return Outcome.LOGIN_FAILED
            except LoginUnanswered as exc:
                log.warning("AMI %s: %s: %s", self.name, endpoint, exc)
                self.status_reason = exc.reason
                return Outcome.UNREACHABLE
            log.info("AMI %s: logged in to %s", self.name, endpoint)
            self.status_reason = None
            self._set_state(LinkState.CONNECTED)
            heartbeat = asyncio.create_task(self._heartbeat(protocol))
            if self._on_ready is not None:
                ready = asyncio.create_task(self._run_ready(self._on_ready))
            await asyncio.shield(protocol.lost)
            log.warning("AMI %s: connection lost", self.name)
            return Outcome.CLOSED if self._closing else Outcome.LOST
        finally:
            for task in (heartbeat, ready):
                if task is not None:
                    task.cancel()
            self._protocol = None
            protocol.close()

    async def _heartbeat(self, protocol: ClientProtocol) -> None:
        settings = self._settings
        if await keep_alive(protocol, settings.heartbeat_interval, settings.heartbeat_misses):
            log.warning(
                "AMI %s: %d pings unanswered; dropping the link",
                self.name,
                settings.heartbeat_misses,
            )

    async def _run_ready(self, on_ready: Callable[[AmiLink], Awaitable[None]]) -> None:
        try:
            await on_ready(self)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("AMI %s: start-up work after login failed", self.name)

    def _on_lost(self) -> None:
        # At once, not when the supervisor next runs: nothing may be sent on a dead link.
        if self._state is LinkState.CONNECTED:
            self.status_reason = "connection lost"
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
