"""The pure campaign rules: calling windows in the customer's zone, DNC, and retries per outcome."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.campaigns.rules import RetryPolicy, Window, after, forbidden, zone_for

WEEKDAYS = Window(time(9), time(20), frozenset({1, 2, 3, 4, 5}))
POLICY = RetryPolicy({"no_answer": 60, "busy": 15, "voicemail": 240, "wrong_number": None}, 3)
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "UTC"]
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # a Tuesday: 11:00 in Shanghai, 22:00 (Monday) in New York


def test_the_window_is_read_in_the_customers_own_zone() -> None:
    assert forbidden(NOW, WEEKDAYS, "Asia/Shanghai", False, "UTC") is None
    assert forbidden(NOW, WEEKDAYS, "America/New_York", False, "UTC") == "outside_window"


def test_a_number_on_the_do_not_call_list_is_refused_even_inside_the_window() -> None:
    assert forbidden(NOW, WEEKDAYS, "Asia/Shanghai", True, "UTC") == "dnc"


def test_a_window_past_midnight_belongs_to_the_day_it_opened() -> None:
    night = Window(time(22), time(2), frozenset({5}))  # Friday 22:00 to Saturday 02:00
    friday_late = datetime(2026, 12, 4, 23, 0, tzinfo=ZoneInfo("UTC"))
    saturday_early = friday_late + timedelta(hours=2)
    saturday_late = friday_late + timedelta(days=1)
    assert night.is_open(friday_late) and night.is_open(saturday_early)
    assert not night.is_open(saturday_late)


def test_retries_follow_the_policy_per_outcome_until_max_attempts() -> None:
    assert after("answered", 1, POLICY, NOW).status == "done"
    assert after("busy", 1, POLICY, NOW).at == NOW + timedelta(minutes=15)
    assert after("no_answer", 2, POLICY, NOW).at == NOW + timedelta(minutes=60)
    assert after("failed", 1, POLICY, NOW).at == NOW + timedelta(minutes=15)  # the line failed: like busy
    assert after("wrong_number", 1, POLICY, NOW).status == "failed"  # null: never again
    assert after("no_answer", 3, POLICY, NOW).status == "failed"  # third attempt was the last


def test_an_entry_zone_comes_from_the_customer_then_the_number_then_the_default() -> None:
    assert zone_for("Europe/Paris", "+12125551234", "Asia/Shanghai") == "Europe/Paris"
    assert zone_for("", "+12125551234", "Asia/Shanghai") == "America/New_York"
    assert zone_for("Not/AZone", "+8613800138000", "UTC") == "Asia/Shanghai"
    assert zone_for(None, "12345", "Asia/Shanghai") == "Asia/Shanghai"


windows = st.builds(
    Window,
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.frozensets(st.integers(1, 7), min_size=1),
).filter(lambda w: w.start != w.end)
clocks = st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC))


@settings(max_examples=150, deadline=None)
@given(windows, clocks, st.sampled_from(ZONES), st.booleans())
def test_never_allowed_on_dnc_or_outside_the_local_window(window, now, zone, on_dnc) -> None:
    verdict = forbidden(now, window, zone, on_dnc, "UTC")
    local = now.astimezone(ZoneInfo(zone))
    minute = local.hour * 60 + local.minute
    start, end = window.start.hour * 60 + window.start.minute, window.end.hour * 60 + window.end.minute
    day, yesterday = local.isoweekday(), (local.isoweekday() - 2) % 7 + 1
    if start < end:
        inside = day in window.days and start <= minute < end
    else:
        inside = (day in window.days and minute >= start) or (yesterday in window.days and minute < end)
    if verdict is None:
        assert not on_dnc and inside
    else:
        assert verdict == ("dnc" if on_dnc else "outside_window") and (on_dnc or not inside)
