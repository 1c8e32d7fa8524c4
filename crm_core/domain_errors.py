"""Errors every CRM service raises, so any adapter (HTTP, IVR, CLI) can map them the same way.

Invalid names the field (HTTP 400), NotFound the missing object (404), Conflict a rule
the current state forbids (409), Forbidden a role that may not act (403).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    return datetime.now(UTC)


class Actor(Protocol):
    """Whoever acts: a signed-in user (UserView fits), or the system (id None)."""

    @property
    def id(self) -> int | None: ...

    @property
    def role(self) -> str: ...


class SystemActor:
    """The service itself acting (IVR, abandoned-call callbacks, escalation): audited with no user."""

    id: int | None = None
    role: str = "system"


SYSTEM = SystemActor()


class CrmError(Exception):
    """Base of the domain errors; `code` is a stable machine-readable key."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(CrmError):
    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotFound(CrmError):
    code = "not_found"


class Conflict(CrmError):
    code = "conflict"


class Forbidden(CrmError):
    code = "forbidden"
