"""Event routing: every AMI event name a core server's link cares about, bound in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bridge.ami.protocol import Message

log = logging.getLogger(__name__)

EventHandler = Callable[[str, Message], None]


class EventRouter:
    """Routes a link's events by name through one dict: one lookup per event, however many
    handlers are bound."""

    def __init__(self, core_server_id: str, bindings: dict[str, list[EventHandler]]) -> None:
        self.core_server_id = core_server_id
        self._bindings = bindings
        self.events = 0

    def __call__(self, message: Message) -> None:
        self.events += 1
        name = message.fields.get("Event")
        if name is None:
            return
        for handler in self._bindings.get(name, ()):
            try:
                handler(self.core_server_id, message)
            except Exception:
                log.exception("handler of AMI event %s failed", name)
