"""Intervals on the local wall clock: Shanghai days start at 16:00 UTC, New York's autumn day
has 25 hours and its repeated hour is two hours, its spring day 23."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from crm_core.kpi.facts import CallFact, SeatSpan
from crm_core.kpi.intervals import bucket_of, buckets, split
from crm_core.kpi.report import KpiData, KpiQuery, kpi_rows
from crm_core.kpi.settings import KpiSettings

SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _answered(id: int, when: datetime, wait: float = 5.0) -> CallFact:
    return CallFact(id, when, "inbound", "support", 1, "answered", wait, 60.0)


def test_shanghai_day_across_utc_midnight() -> None:
    # 15:59 UTC is 23:59 on the 30th in Shanghai; 16:00 UTC is 00:00 on 1 December;
    # 23:30 UTC on the 30th is already 07:30 on 1 December.
    calls = [_answered(1, _utc(2026, 11, 30, 15, 59)), _answered(2, _utc(2026, 11, 30, 16, 0)),
             _answered(3, _utc(2026, 11, 30, 23, 30))]  # fmt: skip
    settings = KpiSettings(timezone="Asia/Shanghai")
    start = datetime(2026, 11, 30, tzinfo=SHANGHAI)
    rows = kpi_rows(KpiData(calls), KpiQuery(start, start + timedelta(days=2), "day"), settings)
    assert [(r["interval_start"], r["answered"]) for r in rows] == [
        ("2026-11-30T00:00:00+08:00", 1),
        ("2026-12-01T00:00:00+08:00", 2),
    ]
    hours = kpi_rows(KpiData(calls), KpiQuery(start, start + timedelta(days=2), "hour"), settings)
    busy = [(r["interval_start"], r["answered"]) for r in hours if r["answered"]]
    assert busy == [
        ("2026-11-30T23:00:00+08:00", 1),
        ("2026-12-01T00:00:00+08:00", 1),
        ("2026-12-01T07:00:00+08:00", 1),
    ]
    # the same calls in UTC days: all three on the 30th
    utc = KpiSettings(timezone="UTC")
    day = kpi_rows(KpiData(calls), KpiQuery(_utc(2026, 11, 30), _utc(2026, 12, 1), "day"), utc)
    assert [(r["interval_start"], r["answered"]) for r in day] == [("2026-11-30T00:00:00+00:00", 3)]


def test_quarter_hours_in_shanghai() -> None:
    bucket = bucket_of(_utc(2026, 11, 30, 16, 44, 59), "15m", SHANGHAI)
    assert (bucket.label(), bucket.local_end()) == ("2026-12-01T00:30:00+08:00", "2026-12-01T00:45:00+08:00")


def test_seat_time_split_at_local_midnight() -> None:
    # ready from 23:00 to 01:00 Shanghai time: one hour on each local day
    span = SeatSpan(1, "ready", "", _utc(2026, 11, 30, 15), _utc(2026, 11, 30, 17))
    cut = [(b.label()[:10], seconds) for b, seconds in split(span.start, span.end, "day", SHANGHAI)]
    assert cut == [("2026-11-30", 3600.0), ("2026-12-01", 3600.0)]


def test_new_york_autumn_day_has_25_hours_and_two_1_am_hours() -> None:
    # 2026-11-01: clocks go back from 02:00 EDT (-04:00) to 01:00 EST (-05:00) at 06:00 UTC
    start = datetime(2026, 11, 1, tzinfo=NEW_YORK)
    hours = list(buckets(start, datetime(2026, 11, 2, tzinfo=NEW_YORK), "hour", NEW_YORK))
    assert len(hours) == 25
    assert [b.label() for b in hours[1:3]] == ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"]
    day = bucket_of(start, "day", NEW_YORK)
    assert (day.end - day.start) == timedelta(hours=25)
    # 01:30 EDT (05:30 UTC) and 01:30 EST (06:30 UTC) fall in different hours
    calls = [_answered(1, _utc(2026, 11, 1, 5, 30)), _answered(2, _utc(2026, 11, 1, 6, 30), wait=30.0)]
    settings = KpiSettings(timezone="America/New_York", service_level_seconds=20)
    rows = kpi_rows(KpiData(calls), KpiQuery(start, datetime(2026, 11, 2, tzinfo=NEW_YORK), "hour"), settings)
    assert len(rows) == 25
    assert [(r["interval_start"], r["answered"], r["service_level"]) for r in rows[1:3]] == [
        ("2026-11-01T01:00:00-04:00", 1, 100.0),
        ("2026-11-01T01:00:00-05:00", 1, 0.0),  # waited 30 s > 20 s
    ]
    # a seat ready the whole local day is 25 hours of it, in a day row and in the report
    span = SeatSpan(1, "ready", "", day.start, day.end)
    assert list(s for _b, s in split(span.start, span.end, "day", NEW_YORK)) == [90000.0]
    whole = KpiQuery(start, datetime(2026, 11, 2, tzinfo=NEW_YORK), "none", ("agent",))  # wall-clock ends
    on_call = SeatSpan(1, "on_call", "", day.start, day.start + timedelta(hours=5))  # UTC arithmetic
    rows = kpi_rows(KpiData([], [span, on_call], names={1: "x"}), whole, settings)
    assert rows[0]["occupancy"] == 16.67  # 5 h of (25 + 5) h: 18000 / 108000


def test_new_york_spring_day_has_23_hours() -> None:
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT; the hour after 01:00 is 03:00
    start = datetime(2026, 3, 8, tzinfo=NEW_YORK)
    hours = list(buckets(start, datetime(2026, 3, 9, tzinfo=NEW_YORK), "hour", NEW_YORK))
    assert len(hours) == 23
    assert [b.label() for b in hours[1:3]] == ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"]
