"""The allowed calling window, in the customer's local time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_window(at: datetime, tz: str, window: tuple[time, time]) -> bool:
    local = at.astimezone(ZoneInfo(tz)).time()
    return window[0] <= local < window[1]


def into_window(at: datetime, tz: str, window: tuple[time, time]) -> datetime:
    """at itself when inside the window, else the next time the window opens (UTC)."""
    zone = ZoneInfo(tz)
    local = at.astimezone(zone)
    if window[0] <= local.time() < window[1]:
        return at.astimezone(UTC)
    day = local.date() if local.time() < window[0] else local.date() + timedelta(days=1)
    return datetime.combine(day, window[0], zone).astimezone(UTC)
