"""Business hours and holidays, in the call center's time zone (not the server's)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ivr.config import Hours


def is_open(hours: Hours, tz: ZoneInfo, now: datetime) -> bool:
    local = now.astimezone(tz)
    if local.date() in hours.holidays or local.weekday() not in hours.days:
        return False
    return hours.open <= local.time() < hours.close
