"""Every administration service, built once from what the application already has."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from crm_core.admin.audit_log import AuditLog
from crm_core.admin.codes import CodeList, SeedLabel, dispositions, pause_reasons
from crm_core.admin.memberships import MembershipService
from crm_core.admin.skills import SkillService
from crm_core.admin.teams import TeamService
from crm_core.admin.users import UserAdmin
from crm_core.ports import Telephony
from crm_core.recycle.service import RecycleBin
from crm_core.sessions import SessionService
from crm_core.users import UserService


@dataclass(frozen=True)
class AdminServices:
    users: UserAdmin
    teams: TeamService
    skills: SkillService
    memberships: MembershipService
    dispositions: CodeList
    pause_reasons: CodeList
    audit: AuditLog
    recycle: RecycleBin

    @classmethod
    def build(
        cls, users: UserService, sessions: SessionService, telephony: Mapping[str, Telephony]
    ) -> AdminServices:
        db = users.db
        memberships = MembershipService(db, telephony)
        return cls(
            UserAdmin(users, sessions, memberships),
            TeamService(db),
            SkillService(db),
            memberships,
            dispositions(db),
            pause_reasons(db),
            AuditLog(db),
            RecycleBin(db),
        )

    async def seed(
        self, disposition_codes: Sequence[str], pause_codes: Sequence[str], label: SeedLabel
    ) -> None:
        """Start-up: fill the code lists from config where they are still empty."""
        await self.dispositions.seed(disposition_codes, lambda code: label(f"disposition.{code}"))
        await self.pause_reasons.seed(pause_codes, lambda code: label(f"pause.{code}"))
