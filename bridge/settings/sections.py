"""The configuration's sections: frozen, typed dataclasses, one per TOML table, each with a
default for every key and a ``validate`` that names the key of a bad value."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# scheme://host[:port], as browsers send it in Origin (no path, no trailing slash)
ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)

# a DNS name, as [http] allowed_hosts lists them: letters, digits, hyphens, dots; no port
HOST_NAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?\.?")


class ConfigError(Exception):
    """The configuration file or environment holds an unknown key or a bad value."""


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 58080
    max_body_bytes: int = 65536
    cors_origins: tuple[str, ...] = ()
    # Reverse proxies (addresses or networks) whose X-Forwarded-For / X-Forwarded-Host are
    # believed; from anyone else those headers are ignored.
    trusted_proxies: tuple[str, ...] = ()
    # Host names (no port) browsers may call the bridge by, besides addresses, localhost and
    # single-label names. On loopback, and anywhere once one is listed, a request for another
    # name is refused (DNS rebinding: bridge.api.clients).
    allowed_hosts: tuple[str, ...] = ()
    # PEM files; both empty: plain HTTP (bridge.server.tls_context reads them at start-up).
    tls_certificate: str = ""
    tls_key: str = ""
    # Seconds. An idle keep-alive connection is closed after keepalive_timeout; a request head
    # must arrive within header_timeout (of the connection, or of its first byte on a
    # keep-alive one), a body within body_timeout of the handler asking for it (then 408).
    keepalive_timeout: float = 15.0
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    # Connections past a cap are closed at once. 0: derived from the file limit (as the soft
    # limit raised to the hard one, minus a quarter, at least 256, for everything else);
    # per address, 0 is no cap (an IPv6 client's address counts as its /64).
    max_connections: int = 0
    max_connections_per_address: int = 256
    # Serving processes on the one port (SO_REUSEPORT), supervised by the main process; 1: the
    # main process serves alone (bridge.workers).
    workers: int = 1

    def validate(self) -> None:
        _check(0 <= self.port <= 65535, "http.port", "must be between 0 and 65535")
        _check(1 <= self.workers <= 64, "http.workers", "must be 1 to 64")
        _check(
            self.workers == 1 or self.port != 0,
            "http.port",
            "must name a port (not 0, any free one) when http.workers is more than 1",
        )
        _check(self.max_body_bytes >= 64, "http.max_body_bytes", "must be at least 64")
        for origin in self.cors_origins:
            _check(
                ORIGIN.fullmatch(origin) is not None,
                "http.cors_origins",
                f"holds {origin!r}, which is not an origin like https://wall.example:8443",
            )
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigError(
                    f"http.trusted_proxies holds {proxy!r}, which is not an address or network"
                ) from None
        for name in self.allowed_hosts:
            _check(
                HOST_NAME.fullmatch(name) is not None,
                "http.allowed_hosts",
                f"holds {name!r}, which is not a host name like pbx.example.com (no port)",
            )
        missing = "http.tls_key" if self.tls_certificate else "http.tls_certificate"
        together = bool(self.tls_certificate) == bool(self.tls_key)
        _check(together, missing, "is missing: set both TLS files, or neither for plain HTTP")
        _check(
            0.1 <= self.keepalive_timeout <= 3600, "http.keepalive_timeout", "must be 0.1 to 3600"
        )
        _check(0.1 <= self.header_timeout <= 600, "http.header_timeout", "must be 0.1 to 600")
        _check(0.1 <= self.body_timeout <= 600, "http.body_timeout", "must be 0.1 to 600")
        _check(self.max_connections >= 0, "http.max_connections", "must be 0 (automatic) or more")
        _check(
            self.max_connections_per_address >= 0,
            "http.max_connections_per_address",
            "must be 0 (no cap) or more",
        )


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///./bridge.db"
    # How often a change made by admin SQL is looked for (seconds). On SQLite the file is
    # stat()ed this often and the database queried only when it moved (or once a second).
    change_poll_interval: float = 0.1

    def validate(self) -> None:
        _check(
            self.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")),
            "database.url",
            "must start with sqlite+aiosqlite:// or postgresql+asyncpg://",
        )
        _check(
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
        _check(0.05 <= self.action_timeout <= 120, "ami.action_timeout", "must be 0.05 to 120")
        _check(1 <= self.originate_timeout <= 600, "ami.originate_timeout", "must be 1 to 600")
        _check(
            0.05 <= self.heartbeat_interval <= 300, "ami.heartbeat_interval", "must be 0.05 to 300"
        )
        _check(1 <= self.heartbeat_misses <= 10, "ami.heartbeat_misses", "must be 1 to 10")
        _check(0.01 <= self.reconnect_min <= 60, "ami.reconnect_min", "must be 0.01 to 60")
        _check(
            self.reconnect_min <= self.reconnect_max <= 3600,
            "ami.reconnect_max",
            "must be from reconnect_min to 3600",
        )
        _check(1 <= self.login_attempts <= 100, "ami.login_attempts", "must be 1 to 100")
        _check(
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
            _check(
                bool(text) and text.isprintable() and "/" not in text and len(text) <= 64,
                f"dnd.{name}",
                "must be 1 to 64 printable characters without '/'",
            )
        _check(
            0.05 <= self.refresh_interval <= 3600, "dnd.refresh_interval", "must be 0.05 to 3600"
        )


@dataclass(frozen=True, slots=True)
class EventsSettings:
    queue_size: int = 1000  # events a WebSocket client may fall behind before it is dropped
    max_streams_per_account: int = 50  # open event streams of one account (then 429)

    def validate(self) -> None:
        _check(10 <= self.queue_size <= 1_000_000, "events.queue_size", "must be 10 to 1000000")
        _check(
            1 <= self.max_streams_per_account <= 100_000,
            "events.max_streams_per_account",
            "must be 1 to 100000",
        )


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    enabled: bool = False
    token: str = field(default="", repr=False)  # if set: Authorization: Bearer <token>

    def validate(self) -> None:
        _check(
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
        _check(self.actions_per_minute >= 1, "limits.actions_per_minute", "must be >= 1")
        _check(self.actions_burst >= 1, "limits.actions_burst", "must be >= 1")
        _check(self.originate_per_minute >= 1, "limits.originate_per_minute", "must be >= 1")
        _check(self.originate_burst >= 1, "limits.originate_burst", "must be >= 1")
        _check(
            self.failed_logins_per_minute >= 1, "limits.failed_logins_per_minute", "must be >= 1"
        )
        _check(self.failed_logins_burst >= 1, "limits.failed_logins_burst", "must be >= 1")
        _check(
            self.failed_logins_per_address_per_minute >= 1,
            "limits.failed_logins_per_address_per_minute",
            "must be >= 1",
        )
        _check(
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
        _check(self.level in LOG_LEVELS, "log.level", f"must be one of {', '.join(LOG_LEVELS)}")
        _check(self.format in ("text", "json"), "log.format", "must be text or json")


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


def _check(condition: bool, name: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"{name} {message}")
