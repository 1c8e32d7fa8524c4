"""Report intervals (15 minutes, hour, day) cut on the wall clock of the configured time zone.

Why not UTC buckets: a Shanghai supervisor's "day" starts at 00:00 Shanghai time (16:00 UTC
the day before), and in a zone with daylight saving time a day lasts 23 or 25 hours and the
repeated autumn hour is two distinct hours. A bucket is therefore identified by its start as
a UTC instant and shown as local time with its UTC offset ("2026-11-01T01:00:00-05:00").
Fixed-length buckets assume UTC offsets in whole quarter hours, which every zone in use today has.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

INTERVALS = ("15m", "hour", "day", "none")
_STEP = {"15m": timedelta(minutes=15), "hour": timedelta(hours=1)}
QUARTER = 900.0  # seconds


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime  # UTC
    end: datetime  # UTC, exclusive
    local_start: datetime  # the same instant in the report's zone

    def label(self) -> str:
        return self.local_start.isoformat()

    def local_end(self) -> str:
        return self.end.astimezone(self.local_start.tzinfo).isoformat()


def bucket_of(at: datetime, interval: str, zone: ZoneInfo) -> Bucket:
    """The bucket instant `at` (timezone-aware) falls in."""
    local = at.astimezone(zone)
    if interval == "day":
        start = datetime.combine(local.date(), time(0), tzinfo=zone)
        end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
        return Bucket(start.astimezone(UTC), end.astimezone(UTC), start)
    if interval not in _STEP:
        raise ValueError(f"no buckets for interval {interval!r}")
    minute = local.minute - local.minute % 15 if interval == "15m" else 0
    start = local.replace(minute=minute, second=0, microsecond=0)  # keeps fold: the repeated hour
    start_utc = start.astimezone(UTC)
    return Bucket(start_utc, start_utc + _STEP[interval], start)


class Bucketer:
    """bucket_of for one interval and zone, remembered per UTC quarter hour: a report looks up a
    bucket for every call it reads, and with offsets in whole quarter hours the quarter hour of
    UTC an instant falls in decides its bucket."""

    def __init__(self, interval: str, zone: ZoneInfo) -> None:
        self.interval, self.zone = interval, zone
        self._known: dict[int, Bucket] = {}

    def __call__(self, at: datetime) -> Bucket:
        slot = int(at.timestamp() // QUARTER)
        found = self._known.get(slot)
        if found is None:
            found = self._known[slot] = bucket_of(at, self.interval, self.zone)
        return found


def buckets(
    start: datetime, end: datetime, interval: str, zone: ZoneInfo, bucket: Bucketer | None = None
) -> Iterator[Bucket]:
    """Every bucket that overlaps [start, end), in order."""
    find = bucket or Bucketer(interval, zone)
    at = start
    while at < end:
        found = find(at)
        yield found
        at = found.end


def split(
    start: datetime, end: datetime, interval: str, zone: ZoneInfo, bucket: Bucketer | None = None
) -> Iterator[tuple[Bucket, float]]:
    """A span [start, end) cut at bucket edges: (bucket, seconds of the span inside it)."""
    for found in buckets(start, end, interval, zone, bucket):
        seconds = (min(end, found.end) - max(start, found.start)).total_seconds()
        if seconds > 0:
            yield found, seconds
