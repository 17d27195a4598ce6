"""LinkRegistry: one AmiLink per enabled core server, following the directory.

A core server added by SQL is connected, one whose AMI host, port, username, secret, TLS
settings or login kind changed is reconnected, and one disabled or deleted is logged off, all
without a restart. Each link feeds its core server's live state (LiveUpdater) and re-syncs it
after every login.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import Callable
from dataclasses import dataclass

from bridge.ami.action_log import ActionListener
from bridge.ami.connection import AmiAuth, AmiEndpoint
from bridge.ami.events import EventHandler, EventRouter
from bridge.ami.link import AmiLink, LinkState
from bridge.directory import CoreServerEntry
from bridge.directory.snapshot import Snapshot
from bridge.live import LiveState
from bridge.live.dnd import DndWatch
from bridge.live.sync import sync_live_state
from bridge.live.updater import LiveUpdater
from bridge.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Linked:
    """What runs for one core server: its link, the live state it feeds, its event router."""

    link: AmiLink
    updater: LiveUpdater
    router: EventRouter


class LinkRegistry:
    def __init__(
        self,
        settings: Settings,
        live: LiveState,
        bindings: dict[str, list[EventHandler]],
        extensions_of: Callable[[str], list[tuple[str, str]]],
        on_action: ActionListener | None = None,
    ) -> None:
        """``extensions_of(core_server_id)``: ``(number, device)`` of its extensions now."""
        self._settings = settings
        self._live = live
        self._bindings = bindings
        self._extensions_of = extensions_of
        self._on_action = on_action
        self._links: dict[str, _Linked] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def event_counts(self) -> dict[str, int]:
        """AMI events received per core server, since each link started."""
        return {server_id: linked.router.events for server_id, linked in self._links.items()}

    def link(self, core_server_id: str) -> AmiLink | None:
        linked = self._links.get(core_server_id)
        return None if linked is None else linked.link

    def updater(self, core_server_id: str) -> LiveUpdater | None:
        linked = self._links.get(core_server_id)
        return None if linked is None else linked.updater

    def follow(self, _old: Snapshot, new: Snapshot) -> None:
        """Directory listener: start, restart and stop links to match ``new``."""
        wanted = {i.entry.id: i.entry for i in new.core_servers if i.entry.enabled}
        for server_id in list(self._links):
            if server_id not in wanted:
                self._stop(server_id)
                self._live.forget(server_id)
        for server_id, server in wanted.items():
            endpoint = endpoint_of(server)
            current = self.link(server_id)
            if current is not None and current.endpoint == endpoint:
                continue
            if current is not None:
                self._stop(server_id)
            if endpoint is None:
                reason = f"${server.ami_secret.removeprefix('env:')} is not set"
                self._live.server(server_id).set_ami_status(str(LinkState.LOGIN_FAILED), reason)
                continue
            self._start(server, endpoint)

    async def close(self) -> None:
        for server_id in list(self._links):
            self._stop(server_id)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _start(self, server: CoreServerEntry, endpoint: AmiEndpoint) -> None:
        live = self._live.server(server.id)
        settings = self._settings

        def numbers() -> list[str]:
            return [number for number, _ in self._extensions_of(server.id)]

        dnd = DndWatch(settings.dnd, numbers)
        updater = LiveUpdater(live, settings.dnd, dnd.touch)
        bindings = {name: list(handlers) for name, handlers in self._bindings.items()}
        for name in updater.event_names:
            bindings.setdefault(name, []).append(updater)

        def on_state(state: LinkState) -> None:
            # A link replaced or stopped reports its own end later (after its Logoff, up to a
            # second): that must not mark its successor's core server down.
            if self.link(server.id) is link:
                live.set_ami_status(str(state), link.status_reason)

        async def on_ready(link: AmiLink) -> None:
            # A sync that timed out (a big or busy PBX) is tried again, with back-off, as long
            # as the link is up: nothing live would be known until it drops otherwise. Then
            # DND is kept in step with AstDB until the session ends (this task with it).
            delay = settings.ami.reconnect_min
            ask_within = 2 * settings.ami.action_timeout
            while not await sync_live_state(
                link, updater, settings.dnd, self._extensions_of(server.id), ask_within
            ):
                if link.state is not LinkState.CONNECTED:
                    return  # the next login syncs
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, settings.ami.reconnect_max)
            await dnd.keep(link, updater)

        router = EventRouter(server.id, bindings)
        link = AmiLink(
            server.slug, endpoint, self._settings.ami, router, on_state, on_ready, self._on_action
        )
        self._links[server.id] = _Linked(link, updater, router)
        link.start()

    def _stop(self, server_id: str) -> None:
        link = self._links.pop(server_id).link
        task = asyncio.get_running_loop().create_task(link.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


def endpoint_of(server: CoreServerEntry) -> AmiEndpoint | None:
    """The AMI endpoint of a core server; ``ami_secret = 'env:NAME'`` reads $NAME (None when
    it is not set: the link cannot log in). Any ``ami_auth`` but 'plain' logs in with MD5."""
    secret = server.ami_secret
    if secret.startswith("env:"):
        name = secret[4:]
        value = os.environ.get(name)
        if value is None:
            log.error("core server %s: ami_secret names $%s, which is not set", server.slug, name)
            return None
        secret = value
    auth = AmiAuth.PLAIN if server.ami_auth == "plain" else AmiAuth.MD5
    return AmiEndpoint(
        server.ami_host,
        server.ami_port,
        server.ami_username,
        secret,
        auth,
        server.ami_tls,
        server.ami_tls_ca,
    )
