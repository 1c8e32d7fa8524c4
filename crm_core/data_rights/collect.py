"""Everything attached to one customer as JSON-ready data: what an export hands to the person."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.audit.models import AuditEntry
from crm_core.audit.service import snapshot
from crm_core.callbacks.models import Callback, CallbackAttempt, DoNotCall
from crm_core.campaigns.models import CampaignAttempt, CampaignEntry
from crm_core.contacts.models import CustomerEmail, CustomerNote, CustomerTag
from crm_core.data_rights.footprint import Footprint
from crm_core.models import CallAgent, CallRecord, Customer, CustomerPhone
from crm_core.recording.models import Recording
from crm_core.tickets.models import ServiceRequest, TicketStep

EXPORT_ACTION = "data_export"  # its own audit rows are left out, so a second export is identical
IVR_FIELDS = ("pbx", "call_id", "started_at", "language", "route_reason")
SURVEY_FIELDS = ("pbx", "call_id", "started_at", "survey_score", "survey_at")


async def collect(s: AsyncSession, customer: Customer, fp: Footprint) -> dict[str, Any]:
    """The export document; every list ordered by id so the same data gives the same bytes."""
    cid = customer.id
    calls = await _with_children(s, CallRecord, fp.calls, CallAgent, "call_record_id", "agents")
    request_ids = sorted(fp.requests + fp.contact_requests)  # a company's request they were the contact of
    requests = await _with_children(s, ServiceRequest, request_ids, TicketStep, "request_id", "steps")
    callbacks = await _with_children(s, Callback, fp.callbacks, CallbackAttempt, "callback_id", "attempts")
    entries = await _with_children(s, CampaignEntry, fp.entries, CampaignAttempt, "entry_id", "attempts")
    audit = await _rows(s, AuditEntry, AuditEntry.id.in_(fp.linked_audit))  # never a row merely naming them
    return {
        "customer": snapshot(customer),
        "phones": await _rows(s, CustomerPhone, CustomerPhone.customer_id == cid),
        "emails": await _rows(s, CustomerEmail, CustomerEmail.customer_id == cid),
        "tags": await _rows(s, CustomerTag, CustomerTag.customer_id == cid),
        "notes": await _rows(s, CustomerNote, CustomerNote.id.in_(fp.notes)),
        "calls": calls,
        "service_requests": [r for r in requests if r["type"] != "complaint"],
        "complaints": [r for r in requests if r["type"] == "complaint"],
        "callbacks": callbacks,
        "ivr_results": [_pick(c, IVR_FIELDS) for c in calls if c["language"] or c["route_reason"]],
        "survey_answers": [_pick(c, SURVEY_FIELDS) for c in calls if c["survey_score"] is not None],
        "recordings": await _rows(s, Recording, Recording.id.in_(fp.recordings)),
        "campaign_entries": entries,
        "do_not_call": await _rows(s, DoNotCall, DoNotCall.e164.in_(fp.own_numbers), key="e164"),
        "audit": [a for a in audit if a["action"] != EXPORT_ACTION],
    }


async def _rows(s: AsyncSession, model: type, condition: object, key: str = "id") -> list[dict[str, Any]]:
    rows = await s.scalars(select(model).where(condition).order_by(getattr(model, key)))  # type: ignore[arg-type]
    return [snapshot(r) for r in rows]


async def _with_children(
    s: AsyncSession, model: type, ids: list[int], child: type, parent_key: str, name: str
) -> list[dict[str, Any]]:
    """Rows of model with their child rows nested under `name` (a call's agents, a request's steps)."""
    parents = await _rows(s, model, model.id.in_(ids))  # type: ignore[attr-defined]
    children = await _rows(s, child, getattr(child, parent_key).in_(ids))
    for parent in parents:
        parent[name] = [c for c in children if c[parent_key] == parent["id"]]
    return parents


def _pick(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: row[f] for f in fields}
