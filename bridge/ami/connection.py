"""One connection to Asterisk: reached (TCP or TLS), logged in, asked, kept alive.

``ami_auth = 'md5'`` proves the secret without sending it, as the Asterisk 22 captures show:
``Challenge AuthType=MD5``, then ``Login AuthType=MD5 Key=md5hex(challenge + secret)``;
``'plain'`` sends ``Secret`` (only for AMI proxies that lack Challenge). With TLS the server's
certificate and host name are always checked, against ``tls_ca`` or the system's CAs, and
nothing is written before the handshake has been verified.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bridge.ami.protocol_client import AmiDisconnected, ClientProtocol
from bridge.errors import InvalidValue

CHALLENGE = {"Action": "Challenge", "AuthType": "MD5"}


class AmiAuth(StrEnum):
    MD5 = "md5"
    PLAIN = "plain"


@dataclass(frozen=True, slots=True)
class AmiEndpoint:
    host: str
    port: int
    username: str
    secret: str = field(repr=False)
    auth: AmiAuth = AmiAuth.MD5
    tls: bool = False
    tls_ca: str | None = None  # a PEM file of CA certificates; None: the system's

    def __str__(self) -> str:
        return f"{self.host}:{self.port}{' (TLS)' if self.tls else ''}"


@dataclass(frozen=True, slots=True)
class AmiReply:
    """An action's answer: the response, then the events of a list reply (if any)."""

    response: Mapping[str, Any]
    events: tuple[Mapping[str, Any], ...] = ()


class LinkProblem(Exception):
    """Why a link is not up: the message for the log, and ``reason``, the same in a few words
    for the API's ``amiStatusReason`` (never a secret)."""

    reason = "failed"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class ConnectFailed(LinkProblem):
    """The endpoint was not reached; the message says why in a few words (never a secret)."""


class LoginRefused(LinkProblem):
    """Asterisk refused the Challenge or the Login."""

    reason = "authentication failed"


class LoginUnanswered(LinkProblem):
    """The connection dropped, or nothing answered in time, before the login was answered:
    nothing was said about the secret (a proxy, a port that is not AMI, Asterisk restarting)."""

    reason = "no answer to the login"


# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH and _CERT_HAS_EXPIRED.
NAME_MISMATCHES, CERT_EXPIRED = (62, 64), 10


async def connect(
    endpoint: AmiEndpoint, protocol: Callable[[], ClientProtocol], within: float
) -> ClientProtocol:
    """A connection to ``endpoint`` (its TLS handshake done and verified, when asked for),
    or ConnectFailed. Nothing has been sent on it yet."""
    context = _tls_context(endpoint) if endpoint.tls else None
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(within):
            _, connected = await loop.create_connection(
                protocol,
                endpoint.host,
                endpoint.port,
                ssl=context,
                server_hostname=endpoint.host if context is not None else None,
            )
    except TimeoutError:
        raise ConnectFailed("no answer in time", "timed out") from None
    except ssl.SSLCertVerificationError as exc:
        raise ConnectFailed(
            f"certificate not trusted: {exc.verify_message}", _certificate_reason(exc)
        ) from None
    except ssl.SSLError as exc:
        raise ConnectFailed(
            f"TLS handshake failed: {exc.reason or exc}", "TLS handshake failed"
        ) from None
    except ConnectionRefusedError:
        raise ConnectFailed("connection refused", "connection refused") from None
    except socket.gaierror as exc:
        raise ConnectFailed(exc.strerror or "host not found", "host not found") from None
    except OSError as exc:
        text = exc.strerror or type(exc).__name__
        raise ConnectFailed(text, text.lower()) from None
    except ValueError:  # an empty or malformed host name, from admin SQL
        raise ConnectFailed(
            f"{endpoint.host!r} is not a usable host name", "not a usable host name"
        ) from None
    return connected


def _certificate_reason(exc: ssl.SSLCertVerificationError) -> str:
    if exc.verify_code in NAME_MISMATCHES:
        return "host name does not match the certificate"
    if exc.verify_code == CERT_EXPIRED:
        return "certificate expired"
    return "certificate not trusted"


def _tls_context(endpoint: AmiEndpoint) -> ssl.SSLContext:
    # Made for each connection: a CA file replaced on disk is read at the next reconnect.
    try:
        return ssl.create_default_context(cafile=endpoint.tls_ca or None)
    except ssl.SSLError:
        reason = "not a PEM file of CA certificates"
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    except ValueError:  # a NUL in the path, say (SQLite text may hold one)
        reason = "not a usable path"
    raise ConnectFailed(
        f"cannot read the CA file {endpoint.tls_ca!r}: {reason}", "cannot read the CA file"
    )


async def ask(
    protocol: ClientProtocol,
    headers: Mapping[str, str],
    within: float,
    *,
    expect_list: bool = False,
) -> AmiReply:
    """Send one action and wait ``within`` seconds for its answer (TimeoutError, and the action
    forgotten; AmiDisconnected when the connection drops first). InvalidValue, and nothing
    sent, when a header holds CR or LF: it would inject AMI headers or actions."""
    refuse_line_breaks(headers)
    future = protocol.send(dict(headers), as_list=None if expect_list else False)
    try:
        async with asyncio.timeout(within):
            result = await future
    except TimeoutError:
        protocol.forget(future)
        raise
    if isinstance(result, list):
        return AmiReply(result[0], tuple(result[1:]))
    return AmiReply(result)


async def log_in(protocol: ClientProtocol, endpoint: AmiEndpoint, within: float) -> None:
    """Challenge (md5) and Login, with events on; LoginRefused when either is refused,
    LoginUnanswered when it is not answered within ``within`` seconds."""
    try:
        challenge = ""
        if endpoint.auth is AmiAuth.MD5:
            reply = await ask(protocol, CHALLENGE, within)
            challenge = str(reply.response.get("Challenge") or "")
            if reply.response.get("Response") != "Success" or not challenge:
                message = reply.response.get("Message", "")
                raise LoginRefused(f"MD5 challenge refused: {message}", "MD5 challenge refused")
        reply = await ask(protocol, login_action(endpoint, challenge), within)
    except TimeoutError:
        raise LoginUnanswered("no answer to the login in time") from None
    except AmiDisconnected:
        raise LoginUnanswered(
            "the connection closed before the login was answered", "connection closed at login"
        ) from None
    except InvalidValue:
        message = "the AMI username or secret holds a line break"
        raise LoginRefused(message, message) from None
    if reply.response.get("Response") != "Success":
        raise LoginRefused(f"login refused: {reply.response.get('Message', '')}")


def login_action(endpoint: AmiEndpoint, challenge: str = "") -> dict[str, str]:
    """The Login action: ``Key`` for the session's ``challenge`` (md5), or ``Secret`` (plain)."""
    if endpoint.auth is AmiAuth.PLAIN:
        proof = {"Secret": endpoint.secret}
    else:
        # MD5 is the protocol's choice, not ours; it keeps the secret off the wire.
        digest = hashlib.md5((challenge + endpoint.secret).encode(), usedforsecurity=False)
        proof = {"AuthType": "MD5", "Key": digest.hexdigest()}
    return {"Action": "Login", "Username": endpoint.username, **proof, "Events": "on"}


async def keep_alive(protocol: ClientProtocol, interval: float, misses: int) -> bool:
    """Ping every ``interval`` seconds; after ``misses`` unanswered pings in a row abort the
    socket (a half-open link) and return True. Returns False when the connection ends."""
    missed = 0
    while not protocol.closed:
        await asyncio.sleep(interval)
        try:
            await ask(protocol, {"Action": "Ping"}, min(interval, 5.0))
            missed = 0
        except TimeoutError:
            missed += 1
            if missed >= misses:
                protocol.abort()
                return True
        except AmiDisconnected:
            return False
    return False


def refuse_line_breaks(headers: Mapping[str, str]) -> None:
    """Nothing with CR, LF or NUL may reach the socket: it would inject AMI headers or actions."""
    for key, value in headers.items():
        if any(c in key or c in value for c in "\r\n\0"):
            raise InvalidValue(
                f"AMI header {key} would hold a line break; nothing was sent",
                error_id="invalid-ami-header",
            )
