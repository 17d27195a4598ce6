"""The configuration's sections: frozen, typed dataclasses, one per TOML table, each with a
default for every key and a ``validate`` that names the key of a bad value (``[http]``, the
largest, is in :mod:`bridge.settings.http`); :class:`Settings` holds them all."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.settings.checks import check
from bridge.settings.http import HttpSettings

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///./bridge.db"
    # How often a change made by admin SQL is looked for (seconds). On SQLite the file is
    # stat()ed this often and the database queried only when it moved (or once a second).
    change_poll_interval: float = 0.1

    def validate(self) -> None:
        check(
            self.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")),
            "database.url",
            "must start with sqlite+aiosqlite:// or postgresql+asyncpg://",
        )
        check(
            0.01 <= self.change_poll_interval <= 1.0,
            "database.change_poll_interval",
            "must be between 0.01 and 1.0 seconds",
        )


@dataclass(frozen=True, slots=True)
class AmiSettings:
    action_timeout: float = 5.0
    originate_timeout: float = 30.0
    heartbeat_interval: float = 10.0
    heartbeat_misses: int = 2
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    login_attempts: int = 3
    login_retry_interval: float = 60.0

    def validate(self) -> None:
        check(0.05 <= self.action_timeout <= 120, "ami.action_timeout", "must be 0.05 to 120")
        check(1 <= self.originate_timeout <= 600, "ami.originate_timeout", "must be 1 to 600")
        check(
            0.05 <= self.heartbeat_interval <= 300, "ami.heartbeat_interval", "must be 0.05 to 300"
        )
        check(1 <= self.heartbeat_misses <= 10, "ami.heartbeat_misses", "must be 1 to 10")
        check(0.01 <= self.reconnect_min <= 60, "ami.reconnect_min", "must be 0.01 to 60")
        check(
            self.reconnect_min <= self.reconnect_max <= 3600,
            "ami.reconnect_max",
            "must be from reconnect_min to 3600",
        )
        check(1 <= self.login_attempts <= 100, "ami.login_attempts", "must be 1 to 100")
        check(
            0.1 <= self.login_retry_interval <= 3600,
            "ami.login_retry_interval",
            "must be 0.1 to 3600",
        )


@dataclass(frozen=True, slots=True)
class DndSettings:
    family: str = "DND"
    value: str = "YES"
    device_state_on: str = "BUSY"
    device_state_off: str = "NOT_INUSE"
    # Seconds between two reads of the whole family (writes by other programs raise no event).
    refresh_interval: float = 30.0

    def validate(self) -> None:
        for name in ("family", "value", "device_state_on", "device_state_off"):
            text = getattr(self, name)
            check(
                bool(text) and text.isprintable() and "/" not in text and len(text) <= 64,
                f"dnd.{name}",
                "must be 1 to 64 printable characters without '/'",
            )
        check(0.05 <= self.refresh_interval <= 3600, "dnd.refresh_interval", "must be 0.05 to 3600")


@dataclass(frozen=True, slots=True)
class EventsSettings:
    queue_size: int = 1000  # events a WebSocket client may fall behind before it is dropped
    max_streams_per_account: int = 50  # open event streams of one account (then 429)

    def validate(self) -> None:
        check(10 <= self.queue_size <= 1_000_000, "events.queue_size", "must be 10 to 1000000")
        check(
            1 <= self.max_streams_per_account <= 100_000,
            "events.max_streams_per_account",
            "must be 1 to 100000",
        )


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    enabled: bool = False
    token: str = field(default="", repr=False)  # if set: Authorization: Bearer <token>

    def validate(self) -> None:
        check(
            not self.token or (len(self.token) >= 16 and self.token.isprintable()),
            "metrics.token",
            "must be empty or at least 16 printable characters",
        )


@dataclass(frozen=True, slots=True)
class LimitsSettings:
    actions_per_minute: int = 60  # every action of one account (DND, hangup, pause included)
    actions_burst: int = 20
    originate_per_minute: int = 30  # calls: originate, transfer
    originate_burst: int = 10
    failed_logins_per_minute: int = 10  # per client address and user name
    failed_logins_burst: int = 20
    failed_logins_per_address_per_minute: int = 60  # per client address, whatever the name
    failed_logins_per_address_burst: int = 60

    def validate(self) -> None:
        check(self.actions_per_minute >= 1, "limits.actions_per_minute", "must be >= 1")
        check(self.actions_burst >= 1, "limits.actions_burst", "must be >= 1")
        check(self.originate_per_minute >= 1, "limits.originate_per_minute", "must be >= 1")
        check(self.originate_burst >= 1, "limits.originate_burst", "must be >= 1")
        check(self.failed_logins_per_minute >= 1, "limits.failed_logins_per_minute", "must be >= 1")
        check(self.failed_logins_burst >= 1, "limits.failed_logins_burst", "must be >= 1")
        check(
            self.failed_logins_per_address_per_minute >= 1,
            "limits.failed_logins_per_address_per_minute",
            "must be >= 1",
        )
        check(
            self.failed_logins_per_address_burst >= 1,
            "limits.failed_logins_per_address_burst",
            "must be >= 1",
        )


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str = "info"
    format: str = "text"
    file: str = ""  # empty: stderr (the journal under systemd)

    def validate(self) -> None:
        check(self.level in LOG_LEVELS, "log.level", f"must be one of {', '.join(LOG_LEVELS)}")
        check(self.format in ("text", "json"), "log.format", "must be text or json")


@dataclass(frozen=True, slots=True)
class Settings:
    http: HttpSettings = field(default_factory=HttpSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    ami: AmiSettings = field(default_factory=AmiSettings)
    dnd: DndSettings = field(default_factory=DndSettings)
    events: EventsSettings = field(default_factory=EventsSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    log: LogSettings = field(default_factory=LogSettings)

    def replace(self, **sections: Mapping[str, Any]) -> Settings:
        """A copy with some keys changed, e.g. ``replace(http={"port": 0})`` (validated)."""
        changed = {
            name: dataclasses.replace(getattr(self, name), **values)
            for name, values in sections.items()
        }
        result = dataclasses.replace(self, **changed)
        result.validate()
        return result

    def validate(self) -> None:
        for section in dataclasses.fields(self):
            getattr(self, section.name).validate()
