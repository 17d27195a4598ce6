"""RetryPolicy, the AMI link's waits between tries, as a unit: no clock, no sockets."""

from __future__ import annotations

import pytest

from bridge.ami.backoff import Outcome, Retry, RetryPolicy
from bridge.settings import AmiSettings, ConfigError


def waits(policy: RetryPolicy, *outcomes: Outcome) -> list[Retry]:
    return [policy.next(outcome) for outcome in outcomes]


def test_unreachable_backs_off_exponentially_to_reconnect_max() -> None:
    settings = AmiSettings(reconnect_min=0.5, reconnect_max=30.0)
    got = [r.seconds for r in waits(RetryPolicy(settings), *[Outcome.UNREACHABLE] * 9)]
    assert got == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_a_lost_session_starts_again_from_reconnect_min() -> None:
    policy = RetryPolicy(AmiSettings(reconnect_min=0.5, reconnect_max=30.0))
    waits(policy, *[Outcome.UNREACHABLE] * 5)
    assert policy.next(Outcome.LOST) == Retry(0.5)


def test_refused_logins_end_in_login_failed_and_one_try_a_minute() -> None:
    settings = AmiSettings()  # the defaults: 3 attempts, then login_retry_interval
    got = waits(RetryPolicy(settings), *[Outcome.LOGIN_FAILED] * 6)
    assert [r.login_failed for r in got] == [False, False, True, True, True, True]
    assert [r.seconds for r in got[2:]] == [settings.login_retry_interval] * 4
    assert settings.login_retry_interval == 60.0


def test_no_wait_after_a_refused_login_exceeds_login_retry_interval() -> None:
    """With the default minute, the waits after refused logins, mixed with unreachable tries
    that backed off to an hour, stay within a minute."""
    settings = AmiSettings(reconnect_min=60.0, reconnect_max=3600.0, login_attempts=5)
    policy = RetryPolicy(settings)
    outcomes = [Outcome.UNREACHABLE] * 8 + [Outcome.LOGIN_FAILED] * 20
    got = waits(policy, *outcomes)
    assert max(r.seconds for r in got[:8]) == 3600.0  # unreachable: reconnect_max
    assert [r.seconds for r in got[8:]] == [60.0] * 20
    assert got[-1].login_failed


def test_an_interval_an_admin_chose_is_kept() -> None:
    """A config of an older release (its example said 900) still starts and is honoured."""
    settings = AmiSettings(login_retry_interval=900.0)
    settings.validate()
    got = waits(RetryPolicy(settings), *[Outcome.LOGIN_FAILED] * 4)
    assert [r.seconds for r in got[2:]] == [900.0, 900.0]
    with pytest.raises(ConfigError, match=r"ami.login_retry_interval.*0.1 to 3600"):
        AmiSettings(login_retry_interval=7200.0).validate()
