"""RetryPolicy: how long an AMI link waits before its next try, after each kind of failure.

Unreachable: exponential back-off from ``reconnect_min`` to ``reconnect_max``. A dropped session:
back to ``reconnect_min``. A refused login: the same back-off, but never more than
``login_retry_interval``; after ``login_attempts`` refusals in a row the link shows
``loginFailed`` and tries once every ``login_retry_interval``. Its default, a minute, picks up a
secret fixed on the PBX side within about a minute without a restart, while Asterisk (and
fail2ban) sees only one failed login a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bridge.settings import AmiSettings


class Outcome(StrEnum):
    UNREACHABLE = "unreachable"
    LOGIN_FAILED = "login failed"
    LOST = "lost"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Retry:
    """Wait ``seconds`` (before jitter), showing ``loginFailed`` meanwhile when ``login_failed``."""

    seconds: float
    login_failed: bool = False


class RetryPolicy:
    """The waits of one link; ``next`` is called once per failed try, in order."""

    def __init__(self, settings: AmiSettings) -> None:
        self._settings = settings
        self._delay = settings.reconnect_min
        self.failed_logins = 0

    def next(self, outcome: Outcome) -> Retry:
        settings = self._settings
        if outcome is Outcome.LOST:
            self.failed_logins = 0
            self._delay = settings.reconnect_min
        delay = self._delay
        self._delay = min(self._delay * 2, settings.reconnect_max)
        if outcome is not Outcome.LOGIN_FAILED:
            return Retry(delay)
        self.failed_logins += 1
        if self.failed_logins >= settings.login_attempts:
            return Retry(settings.login_retry_interval, login_failed=True)
        return Retry(min(delay, settings.login_retry_interval))
