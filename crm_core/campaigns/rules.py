"""The pure rules of a campaign: when a number may be dialed, and what happens after each outcome.

No I/O and no clock reads: `now` is always given (UTC), so the rules can be checked over random
clocks, zones and schedules. The service applies them in transactions, and checks `may_dial` again
at the very moment of dialing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

PURPOSES = ("follow_up", "sales", "survey", "reminder")
MODES = ("preview", "progressive")
AGENT_OUTCOMES = ("answered", "no_answer", "busy", "voicemail", "wrong_number")
NETWORK_OUTCOMES = ("answered", "no_answer", "busy", "failed")
RETRIED = ("no_answer", "busy", "voicemail", "wrong_number")
# A network failure (congestion, unreachable) is retried like busy: the line, not the person, failed.
RETRY_AS = {"failed": "busy"}


@dataclass(frozen=True, slots=True)
class Window:
    """Hours a customer may be called, in their own time zone; end before start wraps past midnight."""

    start: time
    end: time
    days: frozenset[int]  # ISO weekdays the window opens on

    def is_open(self, local: datetime) -> bool:
        at = local.time().replace(tzinfo=None)
        day = local.isoweekday()
        if self.start <= self.end:
            return day in self.days and self.start <= at < self.end
        yesterday = 7 if day == 1 else day - 1
        return (day in self.days and at >= self.start) or (yesterday in self.days and at < self.end)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Minutes before the next try after each outcome (None: never again) and the attempts allowed."""

    delays: dict[str, int | None]
    max_attempts: int


@dataclass(frozen=True, slots=True)
class Next:
    """What becomes of an entry after an attempt: pending again at `at`, or done / failed for good."""

    status: str  # pending | done | failed
    at: datetime | None = None


def parse_clock(value: str) -> time:
    """ "HH:MM" -> time; ValueError otherwise."""
    hours, _, minutes = value.partition(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f"not HH:MM: {value!r}")
    return time(int(hours), int(minutes))


def zone(name: str, default: str) -> ZoneInfo:
    """The zone named, or the default one when the name is unknown (bad data never stops dialing rules)."""
    for candidate in (name, default, "UTC"):
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def zone_for(customer_zone: str | None, number: str, default: str) -> str:
    """The entry's zone: the customer's if valid, else the number's region if it has one, else default."""
    if customer_zone:
        try:
            ZoneInfo(customer_zone)
            return customer_zone
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        zones = number_zones.time_zones_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        zones = ()
    known = [z for z in zones if z != "Etc/Unknown"]
    return known[0] if len(known) == 1 else default


def forbidden(now: datetime, window: Window, zone_name: str, on_dnc: bool, default_zone: str) -> str | None:
    """Why the number may not be dialed at `now` ("dnc", "outside_window"), or None when it may."""
    if on_dnc:
        return "dnc"
    if not window.is_open(now.astimezone(zone(zone_name, default_zone))):
        return "outside_window"
    return None


def after(outcome: str, attempts_made: int, policy: RetryPolicy, now: datetime) -> Next:
    """The entry's next state once an attempt ended with `outcome` (attempts_made counts this one)."""
    if outcome == "answered":
        return Next("done")
    delay = policy.delays.get(RETRY_AS.get(outcome, outcome))
    if delay is None or attempts_made >= policy.max_attempts:
        return Next("failed")
    return Next("pending", now.astimezone(UTC) + timedelta(minutes=delay))
