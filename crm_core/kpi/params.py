"""Reading a report's range, interval and grouping from text, with every refusal naming its field.

Why bounds: a report reads every call of its range, so the range is capped (93 days), and
the finer the interval the shorter the range (a 15-minute chart over three months would be
nine thousand points nobody can read).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_core.domain_errors import Invalid
from crm_core.kpi.intervals import INTERVALS
from crm_core.kpi.report import DIMENSIONS

MAX_DAYS = {"15m": 7, "hour": 31, "day": 93, "none": 93}
MAX_TEXT = 40
YEARS = (2000, 2100)


def parse_interval(raw: str | None) -> str:
    value = (raw or "none").strip()
    if value not in INTERVALS:
        raise Invalid("interval", f"must be one of {', '.join(INTERVALS)}")
    return value


def parse_by(raw: str | None) -> tuple[str, ...]:
    """ "queue", "agent", "team", "none", or two of them joined by a comma ("queue,agent")."""
    value = (raw or "none").strip()
    if value in ("", "none"):
        return ()
    names = tuple(part.strip() for part in value.split(","))
    if any(name not in DIMENSIONS for name in names):
        raise Invalid("by", f"must be none or one or two of {', '.join(DIMENSIONS)}")
    if len(set(names)) != len(names) or len(names) > 2:
        raise Invalid("by", "at most two different groupings")
    return names


def parse_when(name: str, raw: str, zone: ZoneInfo, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time; a date is local midnight (for `to`: the midnight after it,
    so from=2026-11-30&to=2026-11-30 is that whole day); a date-time without offset is local."""
    text = raw.strip()
    if len(text) > MAX_TEXT:
        raise Invalid(name, "must be an ISO 8601 date or date-time")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end_of_day else 0)
            when = datetime.combine(day, time(0), tzinfo=zone)
        else:
            when = datetime.fromisoformat(text)
    except (ValueError, OverflowError):  # 9999-12-31 as an end date has no next midnight
        raise Invalid(name, "must be an ISO 8601 date or date-time") from None
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise Invalid(name, f"must be between the years {YEARS[0]} and {YEARS[1]}")
    return when if when.tzinfo is not None else when.replace(tzinfo=zone)


def parse_range(
    raw_from: str | None, raw_to: str | None, interval: str, zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    """[start, end) of a report; by default the current day in the zone."""
    if raw_from:
        start = parse_when("from", raw_from, zone)
    else:
        start = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    if raw_to:
        end = parse_when("to", raw_to, zone, end_of_day=True)
    else:
        local = start.astimezone(zone)
        end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    if end <= start:
        raise Invalid("to", "must be after from")
    if end - start > timedelta(days=MAX_DAYS[interval]):
        raise Invalid("to", f"the range may cover at most {MAX_DAYS[interval]} days with interval {interval}")
    return start, end
