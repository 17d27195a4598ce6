"""Who is asking: the client's address, and whether a browser page may ask at all.

Browsers attach cached Basic credentials to requests that any page makes, so a request that
carries an ``Origin`` is served only when that origin is the bridge's own (its host and port are
the request's ``Host``, or the ``X-Forwarded-Host`` a trusted reverse proxy sends) or is listed
in ``[http] cors_origins``; ``Origin: null`` is foreign, and so is ``Sec-Fetch-Site: cross-site``
without an allowed origin. Requests without ``Origin`` (curl, scripts, servers) are served.

A page can also become the bridge's own origin: its name, resolved again, points at the bridge
(DNS rebinding). A bridge that listens on loopback therefore serves only requests whose ``Host``
is an address, ``localhost`` (or a name under it), a single-label name (no dot: nobody outside
can make one resolve) or a name in ``[http] allowed_hosts``; once that list holds a name the rule
holds wherever the bridge listens. A trusted proxy chooses the ``Host`` itself and is exempt.

Behind ``[http] trusted_proxies`` the client is the nearest address in ``X-Forwarded-For`` that
is not itself a trusted proxy; from anyone else that header is ignored, so nobody can choose the
address that login limits and the audit trail see.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

from bridge.errors import Forbidden
from bridge.logs import escaped

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_DEFAULT_PORT = {"http": ":80", "https": ":443"}


MAX_HOST_VERDICTS = 1024  # Host values whose verdict is kept (a client chooses them)


class ClientPolicy:
    def __init__(
        self,
        cors_origins: Iterable[str],
        trusted_proxies: Iterable[str],
        allowed_hosts: Iterable[str] = (),
        on_loopback: bool = False,
    ) -> None:
        self._allowed = frozenset(cors_origins)
        self._proxies: tuple[Network, ...] = tuple(
            ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies
        )
        self._names = frozenset(_host_name(name) for name in allowed_hosts)
        self._check_hosts = on_loopback or bool(self._names)
        self._host_verdicts: dict[str, bool] = {}

    def trusts(self, address: str | None) -> bool:
        """Whether ``address`` is one of ``[http] trusted_proxies``."""
        if not self._proxies or not address:
            return False
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(ip in network for network in self._proxies)

    def address(self, request: web.BaseRequest) -> str:
        """The client's address: the TCP peer, or behind trusted proxies the nearest address in
        ``X-Forwarded-For`` that is not a trusted proxy."""
        peer = request.remote or "-"
        if not self._proxies or not self.trusts(peer):
            return peer
        client = peer
        for hop in reversed(request.headers.getall("X-Forwarded-For", [])):
            for entry in reversed(hop.split(",")):
                candidate = entry.strip()
                try:
                    ipaddress.ip_address(candidate)
                except ValueError:
                    return client  # a malformed hop: believe no further
                client = candidate
                if not self.trusts(candidate):
                    return client
        return client

    def check_origin(self, request: web.BaseRequest) -> None:
        """403 ``origin-forbidden`` for a browser request from a foreign page, and
        ``host-forbidden`` for one that names a host this bridge does not serve."""
        headers = request.headers
        if self._check_hosts:
            self._check_host(request)
        origin = headers.get("Origin")
        if origin is None:
            if headers.get("Sec-Fetch-Site") == "cross-site":
                raise Forbidden(
                    "A cross-site browser request is not served", error_id="origin-forbidden"
                )
            return
        if origin in self._allowed or self._own(origin, request):
            return
        raise Forbidden(
            f"Requests from the page at {_shown(origin)} are not served here",
            error_id="origin-forbidden",
        )

    def _check_host(self, request: web.BaseRequest) -> None:
        host = request.headers.get("Host")
        if host is None:  # HTTP/1.0: no browser sends that
            return
        served = self._host_verdicts.get(host)
        if served is None:
            served = self._serves(_host_name(host))
            if len(self._host_verdicts) < MAX_HOST_VERDICTS:
                self._host_verdicts[host] = served
        if not served and not self.trusts(request.remote):
            raise Forbidden(
                f"Requests for the host {_shown(_host_name(host))} are not served here; if it"
                " is this bridge's name, add it to [http] allowed_hosts (or list the reverse"
                " proxy that sends it in [http] trusted_proxies)",
                error_id="host-forbidden",
            )

    def _serves(self, name: str) -> bool:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            pass
        else:
            return True
        return (
            name == "localhost"
            or name.endswith(".localhost")
            or "." not in name
            or name in self._names
        )

    def _own(self, origin: str, request: web.BaseRequest) -> bool:
        scheme, separator, netloc = origin.partition("://")
        default = _DEFAULT_PORT.get(scheme.lower())
        if not separator or default is None:
            return False  # "null", or not a web origin
        hosts = [request.headers.get("Host")]
        if self._proxies and self.trusts(request.remote):
            forwarded = request.headers.get("X-Forwarded-Host")
            if forwarded:
                hosts.append(forwarded.split(",", 1)[0])
        own = _netloc(netloc, default)
        return any(host is not None and _netloc(host, default) == own for host in hosts)


def is_loopback(listen_host: str) -> bool:
    """Whether ``[http] host`` is on loopback only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if listen_host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(listen_host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """The name in a ``Host`` value (``name``, ``name:port``, ``[v6]:port``), in lower case and
    without the final dot."""
    text = host.strip().lower()
    if text.startswith("["):
        end = text.find("]")
        return text[1:end] if end > 0 else text
    name, colon, port = text.rpartition(":")
    if colon and port.isdigit():
        text = name
    return text[:-1] if text.endswith(".") else text


def _netloc(text: str, default_port: str) -> str:
    netloc = text.strip().lower()
    return netloc[: -len(default_port)] if netloc.endswith(default_port) else netloc


def _shown(value: str) -> str:
    shown = escaped(value)  # a header's undecodable bytes, control characters
    return shown if len(shown) <= 100 else shown[:97] + "..."
