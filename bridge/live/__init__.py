"""Live state per core server, kept from AMI events (see ``server``, ``updater``, ``sync``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from bridge.live.server import UNKNOWN, Change, ServerLive

__all__ = ["UNKNOWN", "Change", "LiveState", "ServerLive"]

Listener = Callable[[ServerLive, Change], None]


class LiveState:
    """Every core server's :class:`ServerLive`, created on first use."""

    def __init__(self) -> None:
        self._servers: dict[str, ServerLive] = {}
        self._listeners: list[Listener] = []

    def server(self, core_server_id: str) -> ServerLive:
        state = self._servers.get(core_server_id)
        if state is None:
            state = self._servers[core_server_id] = ServerLive(core_server_id)
            state.listeners.extend(self._listeners)
        return state

    def forget(self, core_server_id: str) -> None:
        self._servers.pop(core_server_id, None)

    def subscribe(self, listener: Listener) -> None:
        """``listener(server, change)`` after every change of any core server."""
        self._listeners.append(listener)
        for state in self._servers.values():
            state.listeners.append(listener)

    def __iter__(self) -> Iterator[ServerLive]:
        return iter(self._servers.values())
