"""Small field rules shared by customer creation, editing and CSV import."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_core.domain_errors import Invalid

KINDS = ("person", "company")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_length(name: str, value: str | None, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        raise Invalid(name, f"at most {limit} characters")
    return value


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise Invalid("kind", f"must be one of {', '.join(KINDS)}")
    return kind


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("timezone", f"unknown time zone {name!r}") from None
    return name


def check_email(email: str) -> str:
    email = email.strip()
    if not _EMAIL.match(email) or len(email) > 254:
        raise Invalid("emails", f"not an e-mail address: {email!r}")
    return email.lower()


def clean_tags(tags: list[object]) -> list[str]:
    out = [str(t).strip().lower() for t in tags if str(t).strip()]
    if any(len(t) > 64 for t in out):
        raise Invalid("tags", "a tag is at most 64 characters")
    return list(dict.fromkeys(out))
