"""What a call-history search asks for, checked once, from the query string of a page or the API.

Why here and not in the web layer: the page, the JSON list and the CSV export must read a
filter the same way (a date given without a time zone is in the call center's zone, a
number in any written form finds its E.164 record), and a bad value must be refused
naming the parameter, never turned into a 500 by the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_core.domain_errors import Invalid
from crm_core.phones import normalize_number

OUTCOMES = ("answered", "abandoned", "no_answer", "busy", "failed")
DIRECTIONS = ("inbound", "outbound", "internal")
MAX_SECONDS = 10**6  # about eleven days: longer than any call
MAX_TEXT = 64
YEARS = (2000, 2100)  # as the KPI reports read them
PARAMS = (
    "from", "to", "agent_id", "queue", "number", "customer_id", "customer", "outcome",
    "direction", "min_duration", "max_duration",
)  # fmt: skip
IGNORED = ("limit", "offset", "format", "lang")  # paging and presentation, read by the caller


@dataclass(frozen=True)
class CallFilter:
    """A search: every field narrows; None leaves that side open. Times are UTC, half-open [start, end)."""

    start: datetime | None = None
    end: datetime | None = None
    agent_id: int | None = None  # who took the call (answered it, or placed it)
    queue: str | None = None
    number: str | None = None  # the outside party, normalised like on write
    customer_id: int | None = None
    customer: str | None = None  # part of the customer's name
    outcome: str | None = None
    direction: str | None = None
    min_duration: int | None = None  # talk seconds
    max_duration: int | None = None

    def as_params(self) -> dict[str, str]:
        """The filter written back as query parameters (times in UTC), e.g. for an export link."""
        out: dict[str, str] = {}
        for name, value in (("from", self.start), ("to", self.end)):
            if value is not None:
                out[name] = value.isoformat()
        for name in PARAMS[2:]:
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        return out


def parse_filter(params: Mapping[str, str], zone: str, region: str) -> CallFilter:
    """The filter a query string asks for; Invalid naming the first bad parameter."""
    for name in params:
        if name not in PARAMS and name not in IGNORED:
            raise Invalid(name, "unknown parameter")
    tz = ZoneInfo(zone)
    start, end = _when(params, "from", tz), _when(params, "to", tz)
    if start and end and end <= start:
        raise Invalid("to", "must be after from")
    low, high = _int(params, "min_duration", 0, MAX_SECONDS), _int(params, "max_duration", 0, MAX_SECONDS)
    if low is not None and high is not None and high < low:
        raise Invalid("max_duration", "must not be below min_duration")
    return CallFilter(
        start=start,
        end=end,
        agent_id=_int(params, "agent_id", 1, 2**31 - 1),
        queue=_text(params, "queue"),
        number=_number(params, region),
        customer_id=_int(params, "customer_id", 1, 2**31 - 1),
        customer=_text(params, "customer"),
        outcome=_choice(params, "outcome", OUTCOMES),
        direction=_choice(params, "direction", DIRECTIONS),
        min_duration=low,
        max_duration=high,
    )


def _when(params: Mapping[str, str], name: str, tz: ZoneInfo) -> datetime | None:
    """An ISO 8601 date or date-time; without an offset it is the call center's local time.
    A bare date is that day's midnight, for `to` the midnight after it, as in the KPI reports:
    from=2026-11-30&to=2026-11-30 is that whole day."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw) + timedelta(days=1 if name == "to" else 0)
            parsed = datetime.combine(day, time())
        else:
            parsed = datetime.fromisoformat(raw)
    except (ValueError, OverflowError):
        raise Invalid(name, "must be an ISO 8601 date or date-time") from None
    if not YEARS[0] <= parsed.year <= YEARS[1]:
        raise Invalid(name, f"must be between the years {YEARS[0]} and {YEARS[1]}")
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def _int(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        raise Invalid(name, "must be a whole number")
    value = int(raw)
    if not low <= value <= high:
        raise Invalid(name, f"must be between {low} and {high}")
    return value


def _text(params: Mapping[str, str], name: str) -> str | None:
    raw = (params.get(name) or "").strip()
    if len(raw) > MAX_TEXT:
        raise Invalid(name, f"at most {MAX_TEXT} characters")
    return raw or None


def _choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = (params.get(name) or "").strip()
    if raw and raw not in allowed:
        raise Invalid(name, f"must be one of {', '.join(allowed)}")
    return raw or None


def _number(params: Mapping[str, str], region: str) -> str | None:
    """The number as stored: "010-12345678", "+86 10 1234 5678" and "861012345678" are one."""
    raw = _text(params, "number")
    if raw is None:
        return None
    number = normalize_number(raw, region)
    if not number:
        raise Invalid("number", "must contain digits")
    return number
