"""Skills and how well each user masters them (level 1-10), for routing and staffing decisions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.admin import checks
from crm_core.admin.models import Skill, UserSkill
from crm_core.admin.views import SkillView, UserSkillView
from crm_core.audit.service import record, snapshot
from crm_core.db import Database
from crm_core.domain_errors import Actor, NotFound
from crm_core.models import User

LEVELS = (1, 10)
_USERS = (
    select(func.count(UserSkill.id)).where(UserSkill.skill_id == Skill.id).correlate(Skill).scalar_subquery()
)


class SkillService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self, limit: int = 50, offset: int = 0) -> tuple[list[SkillView], int]:
        async with self.db.read() as s:
            total = await s.scalar(select(func.count(Skill.id))) or 0
            rows = await s.execute(select(Skill, _USERS).order_by(Skill.name).limit(limit).offset(offset))
            return [SkillView(k.id, k.name, k.label, n or 0) for k, n in rows], total

    async def get(self, skill_id: int) -> SkillView:
        async with self.db.read() as s:
            row = (await s.execute(select(Skill, _USERS).where(Skill.id == skill_id))).first()
        if row is None:
            raise NotFound(f"skill {skill_id} not found")
        return SkillView(row[0].id, row[0].name, row[0].label, row[1] or 0)

    async def all(self) -> list[SkillView]:
        items, _total = await self.list(limit=10_000)
        return items

    async def create(self, actor: Actor, name: str, label: str) -> SkillView:
        name, label = checks.name("name", name), checks.text("label", label)
        async with self.db.write() as s:
            if await s.scalar(select(Skill.id).where(Skill.name == name)) is not None:
                raise checks.FieldError("name", "taken", "a skill with this name exists")
            skill = Skill(name=name, label=label)
            s.add(skill)
            await s.flush()
            record(s, actor, "skill", skill.id, "create", None, snapshot(skill))
            return SkillView(skill.id, skill.name, skill.label)

    async def update(self, actor: Actor, skill_id: int, label: str) -> SkillView:
        label = checks.text("label", label)
        async with self.db.write() as s:
            skill = await _skill(s, skill_id)
            before = snapshot(skill)
            skill.label = label
            record(s, actor, "skill", skill.id, "update", before, snapshot(skill))
            return SkillView(skill.id, skill.name, skill.label)

    async def delete(self, actor: Actor, skill_id: int) -> None:
        """Removes the skill from every user too (their levels are audited with it)."""
        async with self.db.write() as s:
            skill = await _skill(s, skill_id)
            held = await s.scalars(select(UserSkill).where(UserSkill.skill_id == skill_id))
            levels = {str(u.user_id): u.level for u in held}
            record(s, actor, "skill", skill.id, "delete", {**snapshot(skill), "levels": levels}, None)
            await s.delete(skill)

    async def of_user(self, user_id: int) -> list[UserSkillView]:
        async with self.db.read() as s:
            rows = await s.execute(
                select(Skill, UserSkill.level)
                .join(UserSkill, UserSkill.skill_id == Skill.id)
                .where(UserSkill.user_id == user_id)
                .order_by(Skill.name)
            )
            return [UserSkillView(k.id, k.name, k.label, level) for k, level in rows]

    async def set_level(self, actor: Actor, user_id: int, skill_id: int, level: int) -> UserSkillView:
        level = checks.number("level", level, *LEVELS)
        async with self.db.write() as s:
            if await s.get(User, user_id) is None:
                raise NotFound(f"user {user_id} not found")
            skill = await _skill(s, skill_id, field="skill_id")
            held = await _held(s, user_id, skill_id)
            before = {"skill": skill.name, "level": held.level} if held else None
            if held is None:
                held = UserSkill(user_id=user_id, skill_id=skill_id)
                s.add(held)
            held.level = level
            record(s, actor, "user", user_id, "set_skill", before, {"skill": skill.name, "level": level})
            return UserSkillView(skill.id, skill.name, skill.label, level)

    async def remove_from(self, actor: Actor, user_id: int, skill_id: int) -> None:
        async with self.db.write() as s:
            held = await _held(s, user_id, skill_id)
            if held is None:
                raise NotFound(f"user {user_id} has no skill {skill_id}")
            skill = await _skill(s, skill_id)
            record(
                s, actor, "user", user_id, "remove_skill", {"skill": skill.name, "level": held.level}, None
            )
            await s.delete(held)


async def _skill(s: AsyncSession, skill_id: int, field: str | None = None) -> Skill:
    skill = await s.get(Skill, skill_id, with_for_update=True)
    if skill is None:
        if field is not None:
            raise checks.FieldError(field, "no_skill", "no such skill")
        raise NotFound(f"skill {skill_id} not found")
    return skill


async def _held(s: AsyncSession, user_id: int, skill_id: int) -> UserSkill | None:
    return await s.scalar(
        select(UserSkill).where(UserSkill.user_id == user_id, UserSkill.skill_id == skill_id)
    )
