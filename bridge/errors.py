"""Domain errors: one base class, a stable ``error_id`` each, and no HTTP status.

``bridge.api.errors`` maps these classes (by MRO) to statuses and JSON bodies.
"""

from __future__ import annotations

from typing import Any


class BridgeError(Exception):
    """Base of every error the API answers with a JSON body."""

    error_id = "error"

    def __init__(self, message: str, *, error_id: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if error_id is not None:
            self.error_id = error_id
        self.details = details


class NotFound(BridgeError):
    """The path, or an object named in it, does not exist."""

    error_id = "not-found"


class MethodNotAllowed(BridgeError):
    """The path exists but not for this method."""

    error_id = "method-not-allowed"

    def __init__(self, method: str, allowed: tuple[str, ...]) -> None:
        super().__init__(
            f"{method} is not allowed here; use {', '.join(allowed)}", allowed=list(allowed)
        )
        self.allowed = allowed


class Unauthenticated(BridgeError):
    """No credentials, or wrong ones; ``challenge`` is the scheme the client should use."""

    error_id = "unauthenticated"

    def __init__(
        self,
        message: str,
        *,
        error_id: str | None = None,
        challenge: str = 'Basic realm="bridge"',
    ) -> None:
        super().__init__(message, error_id=error_id)
        self.challenge = challenge


class Forbidden(BridgeError):
    """The object exists but is restricted for this account (or unlicensed, or disabled)."""

    error_id = "forbidden"


class BadRequest(BridgeError):
    """The request is malformed: a body that is not a JSON object, a bad query parameter."""

    error_id = "bad-request"


class RequestTimeout(BridgeError):
    """The request body did not arrive within ``[http] body_timeout``."""

    error_id = "request-timeout"


class Conflict(BridgeError):
    """Another request holds what this one needs (an ``Idempotency-Key`` still in flight)."""

    error_id = "conflict"


class PayloadTooLarge(BridgeError):
    """The body is over ``[http] max_body_bytes``."""

    error_id = "payload-too-large"


class UnsupportedMediaType(BridgeError):
    """A request body that is not ``application/json`` (a browser form or ``text/plain``)."""

    error_id = "unsupported-media-type"


class InvalidValue(BridgeError):
    """A well-formed request whose value cannot be used (e.g. an undialable number)."""

    error_id = "invalid-value"


class RateLimited(BridgeError):
    """The account used up its allowance; ``retry_after`` seconds until the next one."""

    error_id = "rate-limited"

    def __init__(self, message: str, retry_after: int, error_id: str | None = None) -> None:
        super().__init__(message, error_id=error_id, retryAfter=retry_after)
        self.retry_after = retry_after


class AmiUnavailable(BridgeError):
    """The core server's AMI link is not up."""

    error_id = "ami-unavailable"


class ServiceUnavailable(BridgeError):
    """Something the bridge needs for this request (the database) does not answer."""

    error_id = "service-unavailable"


class AmiActionFailed(BridgeError):
    """Asterisk answered the action with ``Response: Error``."""

    error_id = "ami-action-failed"


class AmiTimeout(BridgeError):
    """Asterisk did not answer in time."""

    error_id = "ami-timeout"
