"""The supervisor's view of a campaign: entries by state, contacts per hour, and its agents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from crm_core.campaigns.models import CampaignAttempt, CampaignEntry
from crm_core.campaigns.service import team_name, visible
from crm_core.models import User

BUCKETS = {"done": ("done",), "pending": ("pending",), "failed": ("failed", "dnc"), "skipped": ("skipped",)}
BUCKETS["in_progress"] = ("reserved", "dialing")


async def progress(
    db: Any, campaign_id: int, user: Any, now: datetime, seats: dict[str, str]
) -> dict[str, Any]:
    """seats: agent interface -> seat state (from the seat tracker); agents are the team's agents."""
    since = (now - timedelta(hours=23)).replace(minute=0, second=0, microsecond=0)
    async with db.read() as s:
        campaign = await visible(s, campaign_id, user)
        counts = dict(
            (await s.execute(
                select(CampaignEntry.status, func.count())
                .where(CampaignEntry.campaign_id == campaign_id)
                .group_by(CampaignEntry.status)
            )).all()
        )  # fmt: skip
        answered = list(
            await s.scalars(
                select(CampaignAttempt.answered_at).where(
                    CampaignAttempt.campaign_id == campaign_id, CampaignAttempt.answered_at >= since
                )
            )
        )
        team = await team_name(s, campaign.team_id)
        agents: list[User] = []
        if team:
            query = select(User).where(User.team == team, User.role == "agent", User.active.is_(True))
            agents = list(await s.scalars(query.order_by(User.id)))
    out: dict[str, Any] = {k: sum(counts.get(st, 0) for st in sts) for k, sts in BUCKETS.items()}
    out["total"] = sum(counts.values())
    out["contacts_per_hour"] = _per_hour(answered, since)
    out["agents"] = [
        {"agent_id": a.id, "name": a.display_name, "state": seats.get(a.interface or "", "logged_out")}
        for a in agents
    ]
    return out


def _per_hour(answered: list[datetime], since: datetime) -> list[dict[str, Any]]:
    hours = [since + timedelta(hours=i) for i in range(24)]
    counts = dict.fromkeys(hours, 0)
    for at in answered:
        hour = at.replace(minute=0, second=0, microsecond=0)
        if hour in counts:
            counts[hour] += 1
    return [{"hour": h.isoformat(), "contacts": n} for h, n in counts.items()]
