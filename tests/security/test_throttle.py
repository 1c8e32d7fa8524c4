"""The login throttle on its own: exact windows from an injected clock, bounded memory."""

from __future__ import annotations

import pytest

from agent_ui.security.throttle import Attempt, Locked, LoginThrottle, ThrottlePolicy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(**policy: float) -> tuple[LoginThrottle, Clock]:
    clock = Clock()
    defaults = {"per_account": 5, "per_address": 20, "window_seconds": 60.0, "max_keys": 100}
    return LoginThrottle(ThrottlePolicy(**{**defaults, **policy}), clock), clock  # type: ignore[arg-type]


def _fail(throttle: LoginThrottle, login: str, address: str, times: int) -> None:
    for _ in range(times):
        assert isinstance(throttle.begin(login, address), Attempt)


def test_given_five_failures_when_sixth_attempt_then_locked_for_the_rest_of_the_window() -> None:
    throttle, clock = _throttle()
    for second in range(5):
        clock.now = 1000.0 + second
        _fail(throttle, "li.na", "10.0.0.1", 1)
    clock.now = 1010.0
    locked = throttle.begin("li.na", "10.0.0.2")  # another address: the account is what is locked
    assert locked == Locked("account", 50)  # the first failure (t=1000) leaves the window at t=1060
    clock.now = 1059.5
    assert throttle.begin("li.na", "10.0.0.2") == Locked("account", 1)
    clock.now = 1060.0
    assert isinstance(throttle.begin("li.na", "10.0.0.2"), Attempt)  # one slot freed


def test_given_locked_attempts_when_refused_then_they_do_not_extend_the_lock() -> None:
    throttle, clock = _throttle()
    _fail(throttle, "li.na", "10.0.0.1", 5)
    for _ in range(50):
        clock.now += 1
        assert isinstance(throttle.begin("li.na", "10.0.0.1"), Locked)
    clock.now = 1060.0
    assert isinstance(throttle.begin("li.na", "10.0.0.1"), Attempt)


def test_given_four_failures_when_success_then_account_starts_afresh() -> None:
    throttle, _clock = _throttle()
    _fail(throttle, "li.na", "10.0.0.1", 4)
    attempt = throttle.begin("li.na", "10.0.0.1")
    assert isinstance(attempt, Attempt) and attempt.reached_limit
    throttle.succeeded(attempt)
    _fail(throttle, "li.na", "10.0.0.1", 4)
    assert isinstance(throttle.begin("li.na", "10.0.0.1"), Attempt)
    assert isinstance(throttle.begin("li.na", "10.0.0.1"), Locked)


def test_given_one_address_guessing_many_accounts_when_over_twenty_then_address_locked() -> None:
    throttle, _clock = _throttle()
    for n in range(20):
        _fail(throttle, f"user{n}", "203.0.113.9", 1)
    assert throttle.begin("someone.else", "203.0.113.9") == Locked("address", 60)
    assert isinstance(throttle.begin("someone.else", "203.0.113.10"), Attempt)


def test_given_a_success_when_address_has_other_failures_then_only_that_attempt_is_forgiven() -> None:
    throttle, _clock = _throttle(per_address=3)
    _fail(throttle, "guess1", "10.0.0.1", 1)
    _fail(throttle, "guess2", "10.0.0.1", 1)
    good = throttle.begin("me", "10.0.0.1")
    assert isinstance(good, Attempt)
    throttle.succeeded(good)
    assert isinstance(throttle.begin("guess3", "10.0.0.1"), Attempt)
    assert isinstance(throttle.begin("guess4", "10.0.0.1"), Locked)


def test_given_concurrent_attempts_when_none_finished_then_the_limit_still_holds() -> None:
    """Each attempt counts as failed when it starts: parallel guesses racing the hash are bounded."""
    throttle, _clock = _throttle()
    started = [throttle.begin("li.na", f"10.0.0.{n}") for n in range(10)]
    assert sum(isinstance(a, Attempt) for a in started) == 5


def test_given_forgiven_attempt_then_it_does_not_count() -> None:
    throttle, _clock = _throttle(per_account=1)
    attempt = throttle.begin("li.na", "10.0.0.1")
    assert isinstance(attempt, Attempt)
    throttle.forgive(attempt)
    assert isinstance(throttle.begin("li.na", "10.0.0.1"), Attempt)


def test_given_many_keys_when_over_the_cap_then_oldest_are_forgotten_and_memory_stays_bounded() -> None:
    throttle, clock = _throttle(max_keys=100)
    for n in range(10_000):
        clock.now += 0.001
        throttle.begin(f"user{n}", f"198.51.{n // 256}.{n % 256}")
    assert len(throttle.accounts.keys) == 100
    assert len(throttle.addresses.keys) == 100
    assert all(len(times) <= 5 for times in throttle.accounts.keys.values())


def test_given_long_login_then_key_is_truncated() -> None:
    throttle, _clock = _throttle(per_account=1)
    _fail(throttle, "x" * 64 + "a", "10.0.0.1", 1)
    assert isinstance(throttle.begin("x" * 64 + "b", "10.0.0.2"), Locked)


@pytest.mark.parametrize("bad", [{"per_account": 0}, {"window_seconds": 0}, {"max_keys": 0}])
def test_given_nonsense_policy_then_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(**bad)  # type: ignore[arg-type]
