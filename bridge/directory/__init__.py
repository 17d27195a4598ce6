"""The directory: an immutable in-memory snapshot of the admin-seeded tables, swapped on change."""

from bridge.directory.entries import (
    AccountEntry,
    AgentEntry,
    CoreServerEntry,
    ExtensionEntry,
    QueueEntry,
    UserEntry,
)
from bridge.directory.snapshot import Snapshot

__all__ = [
    "AccountEntry",
    "AgentEntry",
    "CoreServerEntry",
    "ExtensionEntry",
    "QueueEntry",
    "Snapshot",
    "UserEntry",
]
