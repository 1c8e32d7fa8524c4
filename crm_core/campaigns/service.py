"""Campaigns managed by administrators and supervisors (a supervisor: their own team's only).

Agents see the running and paused campaigns of their team. Status changes are audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.admin.models import Team
from crm_core.audit.service import record, snapshot
from crm_core.campaigns.models import Campaign, CampaignAttempt, CampaignEntry
from crm_core.campaigns.views import ENTRY_STATUSES, apply_fields, campaign_json, entry_json
from crm_core.domain_errors import Actor, Clock, Conflict, Invalid, NotFound, utc_clock

MOVES = {  # status -> the statuses it may be moved to
    "start": ({"draft", "paused"}, "running"),
    "pause": ({"running"}, "paused"),
    "stop": ({"draft", "running", "paused"}, "stopped"),
}
MANAGERS = ("admin", "supervisor")


async def team_name(s: AsyncSession, team_id: int | None) -> str | None:
    return await s.scalar(select(Team.name).where(Team.id == team_id)) if team_id is not None else None


async def visible(s: AsyncSession, campaign_id: int, user: Any, lock: bool = False) -> Campaign:
    """The campaign if this user may see it (admin: all; others: their team's; agents: not drafts)."""
    query = select(Campaign).where(Campaign.id == campaign_id)
    row = await s.scalar(query.with_for_update() if lock else query)
    if row is None or not await _sees(s, row, user):
        raise NotFound(f"campaign {campaign_id} not found")
    return row


async def _sees(s: AsyncSession, row: Campaign, user: Any) -> bool:
    if user.role == "admin":
        return True
    if user.role == "agent" and row.status not in ("running", "paused"):
        return False
    return bool(user.team) and await team_name(s, row.team_id) == user.team


async def release_reservations(s: AsyncSession, campaign_id: int, why: str, now: Any) -> None:
    """Paused or stopped: cards still open but not dialed close uncounted and their entries go back,
    so no agent is left holding an attempt they can neither dial nor skip."""
    await s.execute(
        update(CampaignAttempt)
        .where(CampaignAttempt.campaign_id == campaign_id, CampaignAttempt.status == "reserved")
        .values(status="closed", skip_reason=why, ended_at=now)
    )
    await s.execute(
        update(CampaignEntry)
        .where(CampaignEntry.campaign_id == campaign_id, CampaignEntry.status == "reserved")
        .values(status="pending", reserved_by=None, reserved_until=None, updated_at=now)
    )


class CampaignService:
    def __init__(self, db: Any, clock: Clock = utc_clock) -> None:
        self.db = db
        self.clock = clock

    async def list(self, user: Any) -> list[dict[str, Any]]:
        query = select(Campaign).order_by(Campaign.id)
        if user.role != "admin":
            query = query.join(Team, Team.id == Campaign.team_id).where(Team.name == (user.team or ""))
        if user.role == "agent":
            query = query.where(Campaign.status.in_(("running", "paused")))
        async with self.db.read() as s:
            return [campaign_json(r) for r in await s.scalars(query)]

    async def get(self, campaign_id: int, user: Any) -> dict[str, Any]:
        async with self.db.read() as s:
            return campaign_json(await visible(s, campaign_id, user))

    async def create(self, body: dict[str, Any], user: Actor) -> dict[str, Any]:
        now = self.clock()
        row = Campaign(purpose="follow_up", mode="preview", status="draft", script="", caller_id="")
        row.window_start, row.window_end, row.window_days, row.max_attempts = "09:00", "20:00", "1,2,3,4,5", 3
        row.retry_no_answer, row.retry_busy, row.retry_voicemail, row.retry_wrong_number = 60, 15, 240, None
        apply_fields(row, body)
        row.created_by, row.created_at, row.updated_at = user.id, now, now
        async with self.db.write() as s:
            await self._check_team(s, row, user)
            s.add(row)
            await s.flush()
            record(s, user, "campaign", row.id, "create", None, snapshot(row), now)
            return campaign_json(row)

    async def update(self, campaign_id: int, body: dict[str, Any], user: Actor) -> dict[str, Any]:
        async with self.db.write() as s:
            row = await visible(s, campaign_id, user, lock=True)
            if row.status == "stopped":
                raise Conflict(f"campaign {campaign_id} is stopped")
            before = snapshot(row)
            apply_fields(row, body)
            await self._check_team(s, row, user)
            row.updated_at = self.clock()
            record(s, user, "campaign", row.id, "update", before, snapshot(row), row.updated_at)
            return campaign_json(row)

    async def _check_team(self, s: AsyncSession, row: Campaign, user: Any) -> None:
        if row.team_id is not None and await s.get(Team, row.team_id) is None:
            raise Invalid("team_id", f"no team {row.team_id}")
        if user.role == "supervisor" and (not user.team or await team_name(s, row.team_id) != user.team):
            raise Invalid("team_id", "a supervisor manages campaigns of their own team only")

    async def move(self, campaign_id: int, verb: str, user: Actor) -> dict[str, Any]:
        """start / pause / stop; anything else is a Conflict with the current status."""
        allowed, target = MOVES[verb]
        async with self.db.write() as s:
            row = await visible(s, campaign_id, user, lock=True)
            if row.status not in allowed:
                raise Conflict(f"campaign {campaign_id} is {row.status}: cannot {verb}")
            before = snapshot(row)
            row.status, row.updated_at = target, self.clock()
            if target != "running":
                await release_reservations(s, row.id, target, row.updated_at)
            record(s, user, "campaign", row.id, verb, before, snapshot(row), row.updated_at)
            return campaign_json(row)

    async def entries(
        self, campaign_id: int, user: Any, status: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        if status is not None and status not in ENTRY_STATUSES:
            raise Invalid("status", f"must be one of {', '.join(ENTRY_STATUSES)}")
        query = select(CampaignEntry).where(CampaignEntry.campaign_id == campaign_id)
        if status is not None:
            query = query.where(CampaignEntry.status == status)
        async with self.db.read() as s:
            await visible(s, campaign_id, user)
            total = await s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = await s.scalars(query.order_by(CampaignEntry.id).limit(limit).offset(offset))
            return [entry_json(r) for r in rows], total
