"""Read-only views the administration hands out, detached from the session that loaded them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_core.data_view import DataView


@dataclass(frozen=True, slots=True)
class TeamView:
    id: int
    name: str
    label: str
    members: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class SkillView:
    id: int
    name: str
    label: str
    users: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class UserSkillView:
    skill_id: int
    name: str
    label: str
    level: int

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class CodeView:
    """A disposition or a pause reason."""

    id: int
    code: str
    label_zh: str
    label_en: str
    active: bool
    sort_order: int

    def label(self, lang: str) -> str:
        return self.label_zh if lang.startswith("zh") else self.label_en

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class MembershipView:
    id: int
    user_id: int
    login: str
    display_name: str
    interface: str | None
    queue: str
    pbx: str
    penalty: int
    state: str  # applied | pending_add | pending_update | pending_remove | refused

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """What became of a change: "applied" on the PBX, "pending" (no PBX link: sent with the next
    change made while one is up) or "refused" (the PBX said no; detail says why)."""

    outcome: str
    membership: MembershipView | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome, "detail": self.detail}
        out["membership"] = self.membership.to_json() if self.membership else None
        return out


USER_FIELDS = (
    "id", "login", "display_name", "role", "team", "interface", "extension", "language", "active",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AdminUserView(DataView):
    """A user as the administration sees it (never the password hash)."""

    def to_json(self) -> dict[str, Any]:
        return self.json_with_times(("created_at",))


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    user_id: int | None
    user_login: str | None
    entity: str
    entity_id: int
    action: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self.__slots__}, "at": self.at.isoformat()}
