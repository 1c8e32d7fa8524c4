"""Campaign, entry and attempt rows as the JSON the API answers; campaign fields checked on the way in."""

from __future__ import annotations

import re
from typing import Any

from crm_core.campaigns.models import Campaign, CampaignEntry
from crm_core.campaigns.rules import MODES, PURPOSES, RETRIED, RetryPolicy, Window, parse_clock
from crm_core.domain_errors import Invalid

STATUSES = ("draft", "running", "paused", "stopped")
ENTRY_STATUSES = ("pending", "reserved", "dialing", "done", "failed", "skipped", "dnc")
CALLER_ID = re.compile(r"\+?[0-9]{1,32}")  # what the PBX accepts as a caller number (ActionBuilder)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def campaign_json(row: Campaign) -> dict[str, Any]:
    days = [int(d) for d in row.window_days.split(",") if d]
    return {
        "id": row.id,
        "name": row.name,
        "purpose": row.purpose,
        "script": row.script,
        "team_id": row.team_id,
        "mode": row.mode,
        "status": row.status,
        "window": {"start": row.window_start, "end": row.window_end, "days": days},
        "retry": {o: getattr(row, f"retry_{o}") for o in RETRIED},
        "max_attempts": row.max_attempts,
        "caller_id": row.caller_id,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }


def entry_json(row: CampaignEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "customer_id": row.customer_id,
        "customer_name": row.customer_name or None,
        "timezone": row.timezone,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": _iso(row.next_attempt_at),
        "last_outcome": row.last_outcome,
    }


def window_of(row: Campaign) -> Window:
    days = frozenset(int(d) for d in row.window_days.split(",") if d)
    return Window(parse_clock(row.window_start), parse_clock(row.window_end), days)


def policy_of(row: Campaign) -> RetryPolicy:
    return RetryPolicy({o: getattr(row, f"retry_{o}") for o in RETRIED}, row.max_attempts)


def apply_fields(row: Campaign, body: dict[str, Any]) -> None:
    """Copy the given campaign fields onto row, each checked (Invalid names the field)."""
    for name in ("name", "script", "caller_id"):
        if name in body:
            row.__setattr__(name, _text(body[name], name, {"script": 20000, "caller_id": 64}.get(name, 128)))
    if "caller_id" in body and row.caller_id and not CALLER_ID.fullmatch(row.caller_id):
        raise Invalid("caller_id", "must be a phone number: digits with an optional leading +")
    if "name" in body and not row.name.strip():
        raise Invalid("name", "must not be empty")
    for name, allowed in (("purpose", PURPOSES), ("mode", MODES)):
        if name in body:
            if body[name] not in allowed:
                raise Invalid(name, f"must be one of {', '.join(allowed)}")
            setattr(row, name, body[name])
    if "team_id" in body:
        row.team_id = _int(body["team_id"], "team_id", 1, None, nullable=True)
    if "max_attempts" in body:
        row.max_attempts = _int(body["max_attempts"], "max_attempts", 1, 20)
    if "window" in body:
        _window(row, body["window"])
    if "retry" in body:
        _retry(row, body["retry"])


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(field, f"must be text of at most {limit} characters")
    return value


def _int(value: Any, field: str, low: int, high: int | None, nullable: bool = False) -> Any:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
        raise Invalid(field, f"must be an integer from {low}" + (f" to {high}" if high else ""))
    return value


def _window(row: Campaign, window: Any) -> None:
    if not isinstance(window, dict):
        raise Invalid("window", "must be an object {start, end, days}")
    for key in ("start", "end"):
        if key in window:
            try:
                parse_clock(window[key] if isinstance(window[key], str) else "")
            except ValueError:
                raise Invalid(f"window.{key}", "must be HH:MM") from None
            setattr(row, f"window_{key}", window[key])
    if "days" in window:
        days = window["days"]
        if not isinstance(days, list) or not days or any(_bad_day(d) for d in days):
            raise Invalid("window.days", "must be a non-empty list of ISO weekdays 1-7")
        row.window_days = ",".join(str(d) for d in sorted(set(days)))
    if row.window_start == row.window_end:
        raise Invalid("window.end", "must differ from the start")


def _bad_day(day: Any) -> bool:
    return isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7


def _retry(row: Campaign, retry: Any) -> None:
    if not isinstance(retry, dict) or set(retry) - set(RETRIED):
        raise Invalid("retry", f"must be an object with keys among {', '.join(RETRIED)}")
    for outcome, minutes in retry.items():
        setattr(row, f"retry_{outcome}", _int(minutes, f"retry.{outcome}", 1, 60 * 24 * 30, nullable=True))
