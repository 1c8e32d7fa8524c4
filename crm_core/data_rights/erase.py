"""Anonymise everything a customer's footprint names, in one write transaction.

What the call-center figures need stays: a call keeps its times, queue, agent, outcome and
survey score, a request its type, status and dates, a callback its times and attempts. What
says who the person was goes: names, numbers, e-mails, notes and free text, tags, their
audit snapshots. Rows that are nothing but personal data (phones, e-mails, tags, notes,
shares, number picks, do-not-call lines) are deleted. Every statement is safe to run again.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Text, cast, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.audit.models import AuditEntry
from crm_core.callbacks.models import Callback, CallbackAttempt, DoNotCall
from crm_core.campaigns.models import CampaignAttempt, CampaignEntry
from crm_core.contacts.models import CustomerEmail, CustomerNote, CustomerShare, CustomerTag, NumberPick
from crm_core.data_rights.footprint import Footprint
from crm_core.data_rights.models import ERASED
from crm_core.models import CallRecord, Customer, CustomerPhone
from crm_core.recording.models import Recording
from crm_core.tickets.models import ServiceRequest, TicketStep

REDACTED: dict[str, Any] = {"erased": True}  # an audit snapshot that named the person


async def anonymise(s: AsyncSession, fp: Footprint, actor_id: int | None, now: datetime) -> dict[str, int]:
    """Apply the erasure; returns how many rows each table had changed (no personal data)."""
    counts: dict[str, int] = {}

    async def run(table: str, statement: Any) -> None:
        result = await s.execute(statement, execution_options={"synchronize_session": False})
        counts[table] = counts.get(table, 0) + (result.rowcount or 0)  # type: ignore[attr-defined]

    cid = fp.customer_id
    await run("customers", _customer(cid, actor_id, now))
    for model in (CustomerPhone, CustomerEmail, CustomerTag, CustomerShare):
        await run(model.__tablename__, delete(model).where(model.customer_id == cid))
    await run("customer_notes", delete(CustomerNote).where(CustomerNote.customer_id == cid))
    await run("number_picks", delete(NumberPick).where(NumberPick.customer_id == cid))
    await run("do_not_call", delete(DoNotCall).where(DoNotCall.e164.in_(fp.own_numbers)))
    shared = DoNotCall.e164.in_(fp.shared)  # the line stays for the other person; its words may be ours
    await run("do_not_call", update(DoNotCall).where(shared, DoNotCall.reason != "").values(reason=""))
    counts["audit_entries"] = await _shared_line_reasons(s, fp.shared)
    await run(
        "call_records",
        update(CallRecord)
        .where(CallRecord.id.in_(fp.calls))
        .values(caller_number="", caller_name="", notes=""),
    )
    await _requests(run, fp)
    await _callbacks(run, fp)
    await _campaigns(run, fp)
    await run(  # stored_path stays until the file is gone (service.py removes it after the commit)
        "recordings",
        update(Recording)
        .where(Recording.id.in_(fp.recordings), Recording.status != "purged")
        .values(status="purged", status_detail="erased", sha256=None),
    )
    await run(
        "audit_entries",
        update(AuditEntry).where(AuditEntry.id.in_(fp.audit)).values(before=None, after=REDACTED),
    )
    return {table: n for table, n in sorted(counts.items()) if n}


async def _shared_line_reasons(s: AsyncSession, shared: list[str]) -> int:
    """The audit of a do-not-call line on a shared number keeps the number, not the reason's words."""
    if not shared:
        return 0
    named = [cast(column, Text).contains(json.dumps(n), autoescape=True) for n in shared
             for column in (AuditEntry.before, AuditEntry.after)]  # fmt: skip
    changed = 0
    for entry in await s.scalars(select(AuditEntry).where(AuditEntry.entity == "do_not_call", or_(*named))):
        for side in ("before", "after"):
            value = getattr(entry, side)
            if isinstance(value, dict) and value.get("number") in shared and value.get("reason"):
                setattr(entry, side, {**value, "reason": ""})
                changed += 1
    return changed


def _customer(cid: int, actor_id: int | None, now: datetime) -> Any:
    """The row stays (requests and calls point at it) but says nothing, and sits in no list."""
    return (
        update(Customer)
        .where(Customer.id == cid)
        .values(
            name=ERASED,
            company=None,
            value_segment="",
            region="",
            industry="",
            owner_id=None,
            # a second run changes nothing: the first erasure's time and actor stay
            deleted_at=func.coalesce(Customer.deleted_at, literal(now, Customer.deleted_at.type)),
            deleted_by=func.coalesce(Customer.deleted_by, literal(actor_id, Integer())),
        )
    )


async def _requests(run: Any, fp: Footprint) -> None:
    """Their own requests are anonymised with their steps; a company's request only loses them as contact.

    The company's request (subject, description, steps) is the company's record and says what the
    company asked; blanking part of it (the steps) while keeping the rest helped nobody.
    """
    ids = fp.requests
    await run(
        "service_requests",
        update(ServiceRequest)
        .where(ServiceRequest.id.in_(ids))
        .values(
            subject=ERASED, description="", demand="", resolution="", compensation="", follow_up_comment=""
        ),
    )
    await run(
        "service_requests",
        update(ServiceRequest).where(ServiceRequest.contact_id == fp.customer_id).values(contact_id=None),
    )
    await run("ticket_steps", update(TicketStep).where(TicketStep.request_id.in_(ids)).values(note=""))


async def _callbacks(run: Any, fp: Footprint) -> None:
    ids = fp.callbacks
    await run(
        "callbacks",
        update(Callback)
        .where(Callback.id.in_(ids), Callback.status.in_(("pending", "accepted")))
        .values(status="failed"),
    )
    await run("callbacks", update(Callback).where(Callback.id.in_(ids)).values(number="", note=""))
    await run(
        "callback_attempts",
        update(CallbackAttempt).where(CallbackAttempt.callback_id.in_(ids)).values(note=""),
    )


async def _campaigns(run: Any, fp: Footprint) -> None:
    """An entry keeps its place in the campaign's figures under a placeholder that is not a number."""
    for entry_id in fp.entries:
        await run(
            "campaign_entries",
            update(CampaignEntry)
            .where(CampaignEntry.id == entry_id)
            .values(number=f"erased-{entry_id}", customer_name="", customer_id=None),
        )
    await run(
        "campaign_entries",
        update(CampaignEntry)
        .where(CampaignEntry.id.in_(fp.entries), CampaignEntry.status.in_(("pending", "reserved")))
        .values(status="skipped", reserved_by=None, reserved_until=None),
    )
    await run(
        "campaign_attempts",
        update(CampaignAttempt)
        .where(CampaignAttempt.entry_id.in_(fp.entries))
        .values(note="", skip_reason=""),
    )
