"""The service-request lifecycle as data: which action moves which status where, and SLAs.

registered -> dispatched -> in_progress -> resolved -> follow_up -> closed, and reopen.
"""

from __future__ import annotations

from datetime import timedelta

DEFAULT_TYPES = ("inquiry", "repair", "complaint", "other")
PRIORITIES = ("low", "normal", "high", "urgent")
SEVERITIES = ("minor", "major", "critical")
OPEN_STATUSES = ("registered", "dispatched", "in_progress")

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "dispatch": (("registered", "dispatched", "in_progress"), "dispatched"),
    "start": (("dispatched",), "in_progress"),
    "act": (("in_progress",), "in_progress"),  # an action taken, with the customer's feedback
    "resolve": (("in_progress",), "resolved"),
    "follow_up": (("resolved",), "follow_up"),
    "close": (("follow_up",), "closed"),
    "reopen": (("resolved", "follow_up", "closed"), "in_progress"),
}

# Hours to resolve, by (type, priority); "*" is any type. Complaints are stricter.
DEFAULT_SLA_HOURS: dict[tuple[str, str], float] = {
    ("*", "urgent"): 4,
    ("*", "high"): 8,
    ("*", "normal"): 24,
    ("*", "low"): 72,
    ("complaint", "urgent"): 2,
    ("complaint", "high"): 4,
    ("complaint", "normal"): 12,
    ("complaint", "low"): 24,
}


def sla_for(table: dict[tuple[str, str], float], type_: str, priority: str) -> timedelta:
    hours = table.get((type_, priority), table.get(("*", priority), DEFAULT_SLA_HOURS[("*", priority)]))
    return timedelta(hours=hours)


def next_status(action: str, status: str) -> str | None:
    """The status an action leads to from status, or None when the lifecycle forbids it."""
    allowed, target = TRANSITIONS[action]
    return target if status in allowed else None
