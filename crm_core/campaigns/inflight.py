"""Progressive dials still ringing the customer: found so the dialer can withdraw or give up on them.

A dial is withdrawn (hung up, not counted, the entry back to pending) when its agent stops being
ready or its campaign is paused or stopped: nobody should be connected to an agent who left. A
dial whose Originate reply was lost stays "dialing"; past the ring time plus a margin with no
answer it is closed as failed, so no agent's line is held forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from crm_core.campaigns.models import Campaign, CampaignAttempt, CampaignEntry
from crm_core.campaigns.work import CampaignWork, _close


@dataclass(frozen=True, slots=True)
class InFlight:
    attempt_id: int
    pbx: str
    call_id: str


async def dialing(work: CampaignWork, agent_id: int | None = None, idle: bool = False) -> list[InFlight]:
    """Progressive attempts still "dialing": of this agent, or (idle) of campaigns no longer running."""
    query = (
        select(CampaignAttempt.id, CampaignAttempt.pbx, CampaignAttempt.call_id)
        .join(Campaign, Campaign.id == CampaignAttempt.campaign_id)
        .where(CampaignAttempt.mode == "progressive", CampaignAttempt.status == "dialing")
    )
    if agent_id is not None:
        query = query.where(CampaignAttempt.agent_id == agent_id)
    if idle:
        query = query.where(Campaign.status != "running")
    async with work.db.read() as s:
        return [InFlight(i, p or "", c or "") for i, p, c in (await s.execute(query.limit(200))).all()]


async def withdraw(work: CampaignWork, attempt_id: int, why: str) -> bool:
    """Close a still-dialing attempt uncounted and put its entry back; False if it moved on meanwhile."""
    now = work.clock()
    async with work.db.write() as s:
        attempt = await s.get(CampaignAttempt, attempt_id, with_for_update=True)
        if attempt is None or attempt.status != "dialing":
            return False
        entry = await s.get(CampaignEntry, attempt.entry_id, with_for_update=True)
        _close(attempt, now, skip_reason=why)
        if entry is not None and entry.status == "dialing":
            entry.status, entry.attempts, entry.reserved_by = "pending", max(entry.attempts - 1, 0), None
            entry.updated_at = now
        return True


async def give_up_stale(work: CampaignWork, older_than: timedelta) -> list[InFlight]:
    """Progressive dials ringing longer than any ring time: their call is unknown, close them failed."""
    since = work.clock() - older_than
    query = select(CampaignAttempt.pbx, CampaignAttempt.call_id).where(
        CampaignAttempt.mode == "progressive",
        CampaignAttempt.status == "dialing",
        CampaignAttempt.dialed_at < since,
    )
    async with work.db.read() as s:
        stale = [(p or "", c or "") for p, c in (await s.execute(query.limit(200))).all()]
    closed = []
    for pbx, call_id in stale:
        attempt_id = await work.network_outcome(pbx, call_id, "failed", answered=False)
        if attempt_id is not None:
            closed.append(InFlight(attempt_id, pbx, call_id))
    return closed
