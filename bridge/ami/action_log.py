"""One log line and one metrics report per AMI action: its name, outcome and time, never its
headers (a Login's or a DBPut's values are not for logs)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("bridge.ami.actions")

# (core server slug, action, outcome, seconds): metrics listen here.
ActionListener = Callable[[str, str, str, float], None]

# Actions that only read: logged at DEBUG when they are answered (the sync after every login
# asks for thousands of values); what changes something on the PBX, and any action that timed
# out or met a dropped link, at INFO.
READS = frozenset(
    (
        "Ping",
        "DBGet",
        "DBGetTree",
        "Getvar",
        "DeviceStateList",
        "ExtensionStateList",
        "CoreShowChannels",
        "QueueStatus",
        "QueueSummary",
        "ListCommands",
    )
)


class ActionLog:
    """What one link's actions came to."""

    def __init__(self, link_name: str, listener: ActionListener | None = None) -> None:
        self._name = link_name
        self._listener = listener

    def done(self, action: str, outcome: str, started: float, message: str = "") -> None:
        """``action`` ended with ``outcome`` (ok, error, timeout, disconnected), ``started``
        being its ``time.perf_counter()``."""
        seconds = time.perf_counter() - started
        shown = f"{outcome}: {message}" if message else outcome
        level = logging.DEBUG if action in READS and outcome in ("ok", "error") else logging.INFO
        log.log(level, "AMI %s %s %s %.1f ms", self._name, action, shown, seconds * 1000)
        if self._listener is not None:
            self._listener(self._name, action, outcome, seconds)
