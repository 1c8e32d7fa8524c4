"""The campaign room's services as one object the UI and the composition root hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from crm_core.campaigns.dnc import DoNotCallList
from crm_core.campaigns.lists import CampaignLists
from crm_core.campaigns.models import Campaign, CampaignAttempt, CampaignEntry
from crm_core.campaigns.service import CampaignService
from crm_core.campaigns.views import entry_json
from crm_core.campaigns.work import CampaignWork
from crm_core.domain_errors import Clock, NotFound, utc_clock
from crm_core.models import CallRecord


@dataclass(frozen=True)
class CampaignRoom:
    campaigns: CampaignService
    lists: CampaignLists
    work: CampaignWork
    dnc: DoNotCallList

    @classmethod
    def build(
        cls, customers: Any, profiles: Any, reservation_minutes: float = 10.0, clock: Clock = utc_clock
    ) -> CampaignRoom:
        db = customers.db
        reservation = timedelta(minutes=reservation_minutes)
        return cls(
            CampaignService(db, clock),
            CampaignLists(db, customers, profiles, clock),
            CampaignWork(db, customers.default_timezone, reservation, clock),
            DoNotCallList(db, customers, clock),
        )

    async def attempt_body(self, attempt_id: int) -> dict[str, Any]:
        """{attempt_id, entry, script, campaign} of an attempt (the UI adds the customer card)."""
        async with self.work.db.read() as s:
            attempt = await s.get(CampaignAttempt, attempt_id)
            if attempt is None:
                raise NotFound(f"attempt {attempt_id} not found")
            entry = await s.get(CampaignEntry, attempt.entry_id)
            campaign = await s.get(Campaign, attempt.campaign_id)
            assert entry is not None and campaign is not None
            record = await s.get(CallRecord, attempt.call_record_id) if attempt.call_record_id else None
            return {
                "attempt_id": attempt.id,
                "status": attempt.status,
                "outcome": attempt.outcome,
                "call_id": attempt.call_id,
                "call_record_id": attempt.call_record_id,
                "disposition": record.disposition if record is not None else None,  # the agent's wrap-up
                "entry": entry_json(entry),
                "script": campaign.script,
                "campaign": {"id": campaign.id, "name": campaign.name, "purpose": campaign.purpose},
            }
