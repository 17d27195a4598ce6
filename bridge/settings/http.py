"""``[http]``: where and how the bridge listens, and whom it believes (browsers, proxies)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from bridge.settings.checks import ConfigError, check

# scheme://host[:port], as browsers send it in Origin (no path, no trailing slash)
ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)

# a DNS name, as [http] allowed_hosts lists them: letters, digits, hyphens, dots; no port
HOST_NAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?\.?")


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
        check(0 <= self.port <= 65535, "http.port", "must be between 0 and 65535")
        check(1 <= self.workers <= 64, "http.workers", "must be 1 to 64")
        check(
            self.workers == 1 or self.port != 0,
            "http.port",
            "must name a port (not 0, any free one) when http.workers is more than 1",
        )
        check(self.max_body_bytes >= 64, "http.max_body_bytes", "must be at least 64")
        for origin in self.cors_origins:
            check(
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
            check(
                HOST_NAME.fullmatch(name) is not None,
                "http.allowed_hosts",
                f"holds {name!r}, which is not a host name like pbx.example.com (no port)",
            )
        missing = "http.tls_key" if self.tls_certificate else "http.tls_certificate"
        together = bool(self.tls_certificate) == bool(self.tls_key)
        check(together, missing, "is missing: set both TLS files, or neither for plain HTTP")
        check(
            0.1 <= self.keepalive_timeout <= 3600, "http.keepalive_timeout", "must be 0.1 to 3600"
        )
        check(0.1 <= self.header_timeout <= 600, "http.header_timeout", "must be 0.1 to 600")
        check(0.1 <= self.body_timeout <= 600, "http.body_timeout", "must be 0.1 to 600")
        check(self.max_connections >= 0, "http.max_connections", "must be 0 (automatic) or more")
        check(
            self.max_connections_per_address >= 0,
            "http.max_connections_per_address",
            "must be 0 (no cap) or more",
        )
