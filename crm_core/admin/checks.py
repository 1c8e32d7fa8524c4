"""Input rules the administration shares: one place says what a name, a label or a level may be.

Each check raises Invalid naming the field, so the HTTP and form layers can put the
message beside the right input.
"""

from __future__ import annotations

import re
from typing import Any

from crm_core.domain_errors import Conflict, Invalid

LANGUAGES = ("zh-CN", "en")
ROLES = ("agent", "supervisor", "admin")
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
QUEUE = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # what Asterisk (and cti.actions) accept as a queue name
INTERFACE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}/[A-Za-z0-9_@.;:+#*~/=-]{1,94}")
EXTENSION = re.compile(r"[A-Za-z0-9*#+][A-Za-z0-9*#+._-]{0,31}")
PASSWORD_MIN, PASSWORD_MAX = 8, 256


class FieldError(Invalid):
    """Invalid input the pages can say in either language: `reason` is a stable key, `params`
    fill its text; `message` stays the English words the JSON API and the logs carry."""

    def __init__(self, field: str, reason: str, message: str, **params: Any) -> None:
        super().__init__(field, message)
        self.reason = reason
        self.params = params


class RuleBroken(Conflict):
    """A change the current state forbids (409), with a stable `reason` key for the pages."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def pattern(field: str, value: Any, rule: re.Pattern[str], reason: str, hint: str) -> str:
    if not isinstance(value, str) or not rule.fullmatch(value.strip()):
        raise FieldError(field, reason, hint)
    return value.strip()


def name(field: str, value: Any) -> str:
    """A machine name (team, skill, disposition code): lower-case letters, digits, _ . -"""
    return pattern(field, value, NAME, "name", "use 1-64 lower-case letters, digits, '_', '.' or '-'")


def text(field: str, value: Any, limit: int = 128, required: bool = True) -> str:
    if not isinstance(value, str):
        raise FieldError(field, "text", "must be text")
    value = value.strip()
    if required and not value:
        raise FieldError(field, "empty", "must not be empty")
    if len(value) > limit:
        raise FieldError(field, "too_long", f"at most {limit} characters", limit=limit)
    return value


def optional(field: str, value: Any, rule: re.Pattern[str], reason: str, hint: str) -> str | None:
    """Empty means "none" (stored as NULL), anything else must match."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return pattern(field, value, rule, reason, hint)


def number(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FieldError(field, "range", f"must be a whole number from {low} to {high}", low=low, high=high)
    return value


def choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise FieldError(field, "choice", f"must be one of {', '.join(allowed)}", allowed=", ".join(allowed))
    return str(value)


def flag(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(field, "flag", "must be true or false")
    return value


def password(value: Any) -> str:
    if not isinstance(value, str) or not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise FieldError(
            "password", "password", f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters", low=PASSWORD_MIN
        )
    return value


def only(fields: dict[str, Any], allowed: set[str]) -> None:
    for key in fields:
        if key not in allowed:
            raise FieldError(key, "unknown", "unknown field")
