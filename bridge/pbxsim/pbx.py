"""A simulated Asterisk 22 PBX speaking AMI on a real socket, for tests and ``bridge demo``.

It answers as the captures in ``tests/fixtures/ami-captures`` show, byte for byte where they
show fixed text, and gives tests what they need to script a PBX: the record of every action read,
events to push, dropped connections, a listener to pause, actions to stall or fail, refused
logins, and waits woken by changes (never by polling). Example::

    async with SimulatedPbx(login_failure_delay=0.01) as pbx:
        pbx.astdb["/DND/4224"] = "YES"
        ...  # a client logs in to 127.0.0.1:pbx.port as bridge / bridge-secret
        record = await pbx.wait_for_action("DBDel")
"""

from __future__ import annotations

import ssl as tls
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType

from bridge.ami.protocol import Header, Message
from bridge.pbxsim.actions import StateActions
from bridge.pbxsim.astdb import AstDbActions
from bridge.pbxsim.calls import Call
from bridge.pbxsim.channels import Channel
from bridge.pbxsim.config import AmiUser, PbxConfig
from bridge.pbxsim.dispatch import Dispatcher
from bridge.pbxsim.events import event
from bridge.pbxsim.lab import lab_config
from bridge.pbxsim.login import LoginApi, LoginGate
from bridge.pbxsim.originate import CallRunner, OriginatePolicy
from bridge.pbxsim.pjsip import PjsipActions
from bridge.pbxsim.scenarios import ScenarioApi, Scenarios
from bridge.pbxsim.script import ActionLog, ActionRecord, ActionRules, Changes
from bridge.pbxsim.server import AmiServer
from bridge.pbxsim.session import AmiSession
from bridge.pbxsim.state import PbxState


class SimulatedPbx(ScenarioApi, LoginApi):
    """An asyncio AMI server on ``host``:``port`` (0: a free port) behaving like Asterisk 22.

    ``login_failure_delay``: the pause before ``Authentication failed`` (Asterisk sleeps 1 s).
    ``auth_timeout``: seconds a connection may stay without logging in (Asterisk: 30).
    ``write_timeout``: manager.conf's ``writetimeout`` in seconds (Asterisk's default: 0.1;
    here None, off): a session whose socket takes none of the bytes waiting for it for that
    long is dropped, as Asterisk drops a client that does not read (counted in
    :attr:`write_timeouts`).
    ``call_duration``: seconds an answered originated call waits (0: its wait ends right after
    its answer events, None: only when hung up); then its ``Wait`` returns and the dialplan goes
    on (the labs' extensions hang up), or the application it was originated to returns.
    ``config``: dialplan, queues and CLI output (default: the lab PBX of the captures; see
    :func:`~bridge.pbxsim.lab.pjsip_lab_config` for the chan_pjsip one). ``ssl``: listen with
    TLS using this server context.

    Scripting attributes: ``users`` (username -> :class:`AmiUser`), ``originate``
    (:class:`OriginatePolicy`: call duration, failing channels, a Reason callback),
    ``refuse_logins`` and ``challenge`` (:class:`~bridge.pbxsim.login.LoginApi`), and ``rules``
    (:class:`ActionRules`, behind :meth:`stall`/:meth:`fail`).
    Call flows between phones, queues, transfers, DND and queue members: see
    :class:`~bridge.pbxsim.scenarios.ScenarioApi`.
    """

    def __init__(
        self,
        username: str = "bridge",
        secret: str = "bridge-secret",  # noqa: S107 -- the lab credential of the captures
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        config: PbxConfig | None = None,
        login_failure_delay: float = 1.0,
        auth_timeout: float | None = 30.0,
        write_timeout: float | None = None,
        call_duration: float | None = 0.0,
        ssl: tls.SSLContext | None = None,
    ) -> None:
        self.config = config or lab_config()
        self.users: dict[str, AmiUser] = {username: AmiUser(username, secret)}
        self.originate = OriginatePolicy(self.config.dialplan, call_duration)
        self.rules = ActionRules()
        self._born = time.monotonic()
        self._changes = Changes()
        self.log = ActionLog(self._changes.notify)
        self.state = PbxState(self.config, self.broadcast)
        self.state.sync()
        self._scenarios = Scenarios(self.state)
        self._calls = CallRunner(self._scenarios.phones, self.originate)
        self._gate = LoginGate(
            self.users, login_failure_delay, self.broadcast, self._changes.notify, self.uptime
        )
        handlers = StateActions(self.state).handlers()
        handlers.update(AstDbActions(self.state.astdb).handlers())
        if self.config.endpoints:  # the Local-channel lab has no chan_pjsip: unknown actions
            handlers.update(PjsipActions(self.state).handlers())
        handlers.update(originate=self._calls.originate)
        handlers.update(self._scenarios.handlers())
        self._server = AmiServer(host, port, self._dispatch, self._changes.notify, ssl)
        self._server.auth_timeout = auth_timeout
        self._server.write_timeout = write_timeout
        self._dispatcher = Dispatcher(
            self.log, self.rules, self._gate, handlers, self.broadcast, self._server.spawn
        )

    async def _dispatch(self, session: AmiSession, raw: bytes) -> bool:
        return await self._dispatcher(session, raw)

    # -- life cycle ------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The TCP port (known after the first :meth:`start`; kept across restarts)."""
        return self._server.port

    async def start(self) -> None:
        """Listen (again, on the same port once one was bound)."""
        await self._server.listen()

    async def stop(self) -> None:
        """Close every session and the listener; live calls vanish without events."""
        await self._server.stop()
        await self._calls.close()

    async def shutdown(self, *, restart: bool = False) -> None:
        """What clients see when Asterisk is stopped: ``Event: Shutdown``, then the close."""
        flag = "True" if restart else "False"
        self.broadcast(event("Shutdown", "system", [("Shutdown", "Cleanly"), ("Restart", flag)]))
        await self.stop()

    async def __aenter__(self) -> SimulatedPbx:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def pause(self) -> None:
        """Refuse new connections until :meth:`resume`; open sessions go on."""
        self._server.unlisten()

    async def resume(self) -> None:
        """Accept connections again, on the same port."""
        await self._server.listen()

    def drop_connections(self) -> int:
        """Abort every client socket at once (a network failure); returns how many."""
        return self._server.drop()

    # -- what tests read --------------------------------------------------------------------------
    @property
    def astdb(self) -> dict[str, str]:
        """The AstDB by full path (``/DND/4224`` -> ``YES``); tests may read and pre-fill it."""
        return self.state.astdb

    @property
    def device_states(self) -> dict[str, str]:
        """Explicitly set device states (``Custom:DND4224`` -> ``BUSY``); others are derived."""
        return self.state.device_states

    @property
    def channels(self) -> list[Channel]:
        """Live channels, oldest first."""
        return list(self.state.channels.values())

    @property
    def calls(self) -> list[Call]:
        """Originated calls still up."""
        return list(self._calls.calls)

    @property
    def write_timeouts(self) -> int:
        """Sessions dropped because their client did not read for ``write_timeout``."""
        return self._server.write_timeouts

    def sessions(self, *, logged_in: bool = True) -> list[AmiSession]:
        """Open client sessions (only logged-in ones unless ``logged_in`` is False)."""
        return [s for s in self._server.sessions.values() if s.authenticated or not logged_in]

    def actions(self, name: str | None = None) -> list[ActionRecord]:
        """Every action read (or those of one name, any case), in order."""
        return self.log.of(name)

    def action_count(self, name: str) -> int:
        """How many actions of this name (any case) were read."""
        return self.log.count(name)

    def uptime(self) -> int:
        """Whole seconds since this PBX was made (``Uptime`` in ``FullyBooted``)."""
        return int(time.monotonic() - self._born)

    # -- waits: woken by every change, never polling; bound them with ``asyncio.timeout`` ---------
    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Return once ``predicate()`` holds; tested now and after every change."""
        await self._changes.wait_for(predicate)

    async def wait_for_action(self, name: str, count: int = 1) -> ActionRecord:
        """The ``count``-th action of this name (any case), once it has been read."""
        await self.wait_until(lambda: self.log.count(name) >= count)
        return self.log.of(name)[count - 1]

    async def wait_for_sessions(self, count: int, *, logged_in: bool = True) -> None:
        """Return once exactly ``count`` sessions (logged in, unless told) are open."""
        await self.wait_until(lambda: len(self.sessions(logged_in=logged_in)) == count)

    async def wait_for_logins(self, count: int) -> None:
        """Return once ``count`` logins in all have been accepted."""
        await self.wait_until(lambda: self._gate.successes >= count)

    # -- scripting --------------------------------------------------------------------------------
    def broadcast(self, headers: list[Header]) -> int:
        """Send one event to every logged-in session whose read permission and ``Events`` cover
        its ``Privilege`` classes (all with events on, if it has none); returns how many."""
        count = self._server.broadcast(headers)
        self._changes.notify()
        return count

    def push_event(self, headers: Message | Mapping[str, str] | Iterable[Header]) -> int:
        """Raise an event as if Asterisk had (see :meth:`broadcast`)."""
        message = headers if isinstance(headers, Message) else Message(headers)
        return self.broadcast(list(message.headers))

    def stall(self, action: str, *, block_session: bool = False) -> None:
        """Read ``action`` requests but answer none until :meth:`unstall` (see ActionRules)."""
        self.rules.stall(action, block_session=block_session)

    def unstall(self, action: str) -> None:
        """Answer the held ``action`` requests now and stop holding new ones."""
        self.rules.unstall(action)

    def fail(
        self, action: str, message: str = "Simulated failure", times: int | None = None
    ) -> None:
        """Answer ``action`` with ``Response: Error`` / ``message`` (``times`` times or always)."""
        self.rules.fail(action, message, times)

    def unfail(self, action: str) -> None:
        """Answer ``action`` normally again."""
        self.rules.unfail(action)

    def set_device_state(self, device: str, state: str) -> None:
        """Change a device's state (a phone ringing, say) with the events Asterisk sends."""
        self.state.set_device_state(device, state)

    def remember_device_state(self, device: str, state: str) -> None:
        """Put ``state`` in the device state cache without events, as a PBX that has run a while
        keeps the states its earlier calls and tests left (``DeviceStateList`` lists them)."""
        self.state.remember(device, state)

    def hangup(self, match: str | None = None) -> int:
        """The ``Hangup`` action on the originated calls with this channel name, Uniqueid or
        Linkedid (None: all); how many."""
        return self._calls.end_matching(match)
