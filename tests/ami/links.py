"""Helpers for driving an AmiLink in tests: quick settings, a recorder of what it reports, and
a factory of started links (closed at the end of the test)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bridge.ami.connection import AmiAuth, AmiEndpoint
from bridge.ami.link import AmiLink, LinkState
from bridge.ami.protocol import Message
from bridge.settings import AmiSettings

FAST = AmiSettings(
    action_timeout=0.5,
    reconnect_min=0.01,
    reconnect_max=0.05,
    heartbeat_interval=5.0,
    login_attempts=3,
    login_retry_interval=60.0,
)
OK, LOST = LinkState.CONNECTED, LinkState.DISCONNECTED


class Recorder:
    """The events and states a link reported, in order; waits are woken by each report."""

    def __init__(self) -> None:
        self.events: list[Message] = []
        self.states: list[LinkState] = []
        self._changed = asyncio.Event()

    def event(self, message: Message) -> None:
        self.events.append(message)

    def state(self, state: LinkState) -> None:
        self.states.append(state)
        self._changed.set()

    async def wait_for_states(self, predicate: Callable[[list[LinkState]], bool]) -> None:
        """Return once ``predicate(states)`` holds (bound it with ``asyncio.timeout``)."""
        while not predicate(self.states):
            self._changed.clear()
            await self._changed.wait()

    async def attempts_ended(self, count: int) -> None:
        """Return once ``count`` connection attempts have ended (each leaves ``connecting``)."""

        def ended(states: list[LinkState]) -> int:
            running = 1 if states and states[-1] is LinkState.CONNECTING else 0
            return states.count(LinkState.CONNECTING) - running

        await self.wait_for_states(lambda states: ended(states) >= count)


async def until(link: AmiLink, *states: LinkState) -> LinkState:
    async with asyncio.timeout(5):
        return await link.wait_for_state(*states)


class LinkFactory:
    """Makes started links to ``port`` on 127.0.0.1 as ``bridge`` (see :meth:`__call__`)."""

    def __init__(self, port: Callable[[], int]) -> None:
        self._port = port
        self.links: list[AmiLink] = []

    def __call__(
        self,
        settings: AmiSettings = FAST,
        secret: str = "bridge-secret",
        on_event: Callable[[Message], None] | None = None,
        recorder: Recorder | None = None,
        *,
        auth: AmiAuth = AmiAuth.MD5,
        tls: bool = False,
        tls_ca: str | None = None,
        host: str = "127.0.0.1",
    ) -> AmiLink:
        """A started link (its endpoint's ``auth``, ``tls``, ``tls_ca`` and ``host`` as given)."""
        rec = recorder or Recorder()
        endpoint = AmiEndpoint(host, self._port(), "bridge", secret, auth, tls, tls_ca)
        link = AmiLink("test", endpoint, settings, on_event or rec.event, rec.state)
        self.links.append(link)
        link.start()
        return link

    async def close(self) -> None:
        for link in self.links:
            await link.close()
