"""Teams: the names agents and supervisors are grouped by (`User.team` holds the name)."""

from __future__ import annotations

from sqlalchemy import func, select

from crm_core.admin import checks
from crm_core.admin.models import Team
from crm_core.admin.views import TeamView
from crm_core.audit.service import record, snapshot
from crm_core.db import Database
from crm_core.domain_errors import Actor, NotFound
from crm_core.models import User

_MEMBERS = select(func.count(User.id)).where(User.team == Team.name).correlate(Team).scalar_subquery()


class TeamService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self, limit: int = 50, offset: int = 0) -> tuple[list[TeamView], int]:
        async with self.db.read() as s:
            total = await s.scalar(select(func.count(Team.id))) or 0
            rows = await s.execute(select(Team, _MEMBERS).order_by(Team.name).limit(limit).offset(offset))
            return [TeamView(t.id, t.name, t.label, n or 0) for t, n in rows], total

    async def names(self) -> list[tuple[str, str]]:
        """(name, label) of every team, for choosing one."""
        async with self.db.read() as s:
            return [
                (n, label) for n, label in await s.execute(select(Team.name, Team.label).order_by(Team.name))
            ]

    async def get(self, team_id: int) -> TeamView:
        async with self.db.read() as s:
            row = (await s.execute(select(Team, _MEMBERS).where(Team.id == team_id))).first()
        if row is None:
            raise NotFound(f"team {team_id} not found")
        return TeamView(row[0].id, row[0].name, row[0].label, row[1] or 0)

    async def create(self, actor: Actor, name: str, label: str) -> TeamView:
        name, label = checks.name("name", name), checks.text("label", label)
        async with self.db.write() as s:
            if await s.scalar(select(Team.id).where(Team.name == name)) is not None:
                raise checks.FieldError("name", "taken", "a team with this name exists")
            team = Team(name=name, label=label)
            s.add(team)
            await s.flush()
            record(s, actor, "team", team.id, "create", None, snapshot(team))
            return TeamView(team.id, team.name, team.label)

    async def ensure(self, actor: Actor, name: str, label: str) -> TeamView:
        """The team, created unless it exists (demo seeding)."""
        async with self.db.read() as s:
            team = await s.scalar(select(Team).where(Team.name == name))
            if team is not None:
                return TeamView(team.id, team.name, team.label)
        return await self.create(actor, name, label)

    async def update(self, actor: Actor, team_id: int, label: str) -> TeamView:
        """Only the label changes: the name is what users and other records refer to."""
        label = checks.text("label", label)
        async with self.db.write() as s:
            team = await s.get(Team, team_id, with_for_update=True)
            if team is None:
                raise NotFound(f"team {team_id} not found")
            before = snapshot(team)
            team.label = label
            record(s, actor, "team", team.id, "update", before, snapshot(team))
        return await self.get(team_id)

    async def delete(self, actor: Actor, team_id: int) -> None:
        async with self.db.write() as s:
            team = await s.get(Team, team_id, with_for_update=True)
            if team is None:
                raise NotFound(f"team {team_id} not found")
            if await s.scalar(select(func.count(User.id)).where(User.team == team.name)):
                raise checks.RuleBroken("team_has_members", "the team still has members: move them first")
            record(s, actor, "team", team.id, "delete", snapshot(team), None)
            await s.delete(team)
