"""Team A's objects, made straight in the database: one customer with everything hanging off it.

Every text a person could read carries SECRET, so a response that leaks any of it to
someone outside team A is caught by a plain substring test, whatever route produced it.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crm_core.admin.models import Team
from crm_core.audit.models import AuditEntry
from crm_core.callbacks.models import Callback
from crm_core.campaigns.models import Campaign, CampaignEntry
from crm_core.contacts.models import CustomerNote
from crm_core.db import Database
from crm_core.kb.models import KbArticle
from crm_core.models import CallAgent, CallRecord, Customer, CustomerPhone
from crm_core.recording.models import Recording
from crm_core.tickets.models import ServiceRequest

SECRET = "TEAM-A-SECRET"
PBX = "matrix"
AUDIO = b"RIFF" + bytes(60)  # the bytes behind every team A recording
_serial = itertools.count(1)


@dataclass(frozen=True)
class World:
    n: int
    owner: int  # agent of team A who owns it all
    bystander: int  # a user outside both teams: shares and dispatches go to them
    customer: int
    company: int
    deleted: int  # a customer of team A in the recycle bin
    phone: str
    request: int
    callback: int
    call_record: int
    call_id: str
    pbx: str
    recording: str  # public id
    article: int
    campaign: int = 0  # a running preview campaign of team A, with one entry

    def value(self, name: str) -> str:
        """A path parameter: a field of the world, or a literal written "=text"."""
        return name[1:] if name.startswith("=") else str(getattr(self, name))


async def build_world(db: Database, store: Path, owner: int, bystander: int) -> World:
    n = next(_serial)
    tag, now = f"{SECRET}-{n}", datetime.now(UTC)
    phone = f"+86139{n:08d}"
    (store / "matrix.wav").parent.mkdir(parents=True, exist_ok=True)
    (store / "matrix.wav").write_bytes(AUDIO)
    async with db.write() as s:
        company = Customer(name=f"{tag} company", kind="company", owner_id=owner)
        customer = Customer(name=f"{tag} customer", company=f"{tag} co", owner_id=owner)
        customer.phones = [CustomerPhone(e164=phone)]
        deleted = Customer(name=f"{tag} binned", owner_id=owner, deleted_at=now, deleted_by=owner)
        article = KbArticle(question="How to reset a router?", answer="Unplug it.", tags="")
        s.add_all([company, customer, deleted, article])
        await s.flush()
        s.add(CustomerNote(customer_id=customer.id, body=f"{tag} note", author_id=owner))
        request = ServiceRequest(
            number=f"SR-1999-{n:06d}", type="complaint", subject=f"{tag} complaint", customer_id=customer.id,
            due_at=now - timedelta(days=1), status="registered", created_by=owner, created_at=now,
        )  # fmt: skip
        callback = Callback(
            number=phone, customer_id=customer.id, scheduled_at=now - timedelta(hours=1),
            next_attempt_at=now - timedelta(hours=1), status="pending", note=f"{tag} callback",
            created_by=owner, created_at=now,
        )  # fmt: skip
        call = CallRecord(
            pbx=PBX, call_id=f"matrix-{n}", caller_number=phone, caller_name=f"{tag} caller",
            customer_id=customer.id, started_at=now - timedelta(minutes=5), status="ended",
            outcome="answered", agent_id=owner, notes="",
        )  # fmt: skip
        s.add_all([request, callback, call])
        await s.flush()
        s.add(
            CallAgent(
                call_record_id=call.id, agent_interface=f"PJSIP/m{n}", agent_id=owner, result="answered"
            )
        )
        recording = Recording(
            public_id=uuid.uuid4().hex, pbx=PBX, call_id=call.call_id, call_record_id=call.id,
            customer_id=customer.id, stored_path="matrix.wav", status="stored", size_bytes=len(AUDIO),
            format="wav", started_at=call.started_at, ended_at=now,
        )  # fmt: skip
        s.add(recording)
        s.add(AuditEntry(user_id=owner, entity="customer", entity_id=customer.id, action="update",
                         before=None, after={"name": customer.name}))  # fmt: skip
        await s.flush()
        campaign = await _campaign(s, tag, phone, customer.id, now)
        return World(
            n, owner, bystander, customer.id, company.id, deleted.id, phone, request.id, callback.id,
            call.id, call.call_id, PBX, recording.public_id, article.id, campaign,
        )  # fmt: skip


async def _campaign(s: Any, tag: str, phone: str, customer_id: int, now: datetime) -> int:
    team = await s.scalar(select(Team).where(Team.name == "A"))
    if team is None:
        team = Team(name="A", label="A", created_at=now)
        s.add(team)
        await s.flush()
    campaign = Campaign(
        name=f"{tag} campaign", purpose="survey", script=f"{tag} script", team_id=team.id, mode="preview",
        status="running", window_start="00:00", window_end="23:59", window_days="1,2,3,4,5,6,7",
        max_attempts=3, caller_id="", created_at=now, updated_at=now,
    )  # fmt: skip
    s.add(campaign)
    await s.flush()
    s.add(
        CampaignEntry(
            campaign_id=campaign.id, number=phone, customer_id=customer_id, customer_name=f"{tag} entry",
            timezone="Asia/Shanghai", status="pending", attempts=0, created_at=now, updated_at=now,
        )
    )  # fmt: skip
    return campaign.id
