"""A customer's timeline: everything that happened with them, newest first.

Calls (with outcome), service requests and complaints with their lifecycle
steps (follow-up visits among them), callbacks and notes, merged in time order.
Requests, complaints, callbacks and notes carry the call they were made on
(data.call_record_id, the `ref` of that call's item) so a reader can tie them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from crm_core.callbacks.models import Callback
from crm_core.contacts.models import CustomerNote
from crm_core.db import Database
from crm_core.domain_errors import NotFound
from crm_core.models import CallRecord, Customer
from crm_core.recording.models import Recording
from crm_core.tickets.models import ServiceRequest, TicketStep


@dataclass(frozen=True, slots=True)
class TimelineItem:
    at: datetime
    kind: str  # call | service_request | complaint | follow_up | callback | note
    ref: int
    summary: str
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self.__slots__}, "at": self.at.isoformat()}


class Timeline:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def for_customer(self, customer_id: int, limit: int = 100) -> list[TimelineItem]:
        async with self.db.read() as s:
            customer = await s.get(Customer, customer_id)
            if customer is None or customer.deleted_at is not None:
                raise NotFound(f"customer {customer_id} not found")
            items = [*await _calls(s, customer_id), *await _requests(s, customer_id)]
            items += await _callbacks(s, customer_id) + await _notes(s, customer_id)
        items.sort(key=lambda i: (i.at, i.kind, i.ref), reverse=True)
        return items[:limit]


async def _calls(s: Any, customer_id: int) -> list[TimelineItem]:
    """Each call with its recording's opaque id and status (playable at /api/recordings/<id>/audio
    by those allowed to hear it; the playback route checks who asks)."""
    rows = await s.execute(
        select(CallRecord, Recording.public_id, Recording.status)
        .outerjoin(Recording, Recording.call_record_id == CallRecord.id)
        .where(CallRecord.customer_id == customer_id)
    )
    return [
        TimelineItem(
            c.started_at, "call", c.id, f"{c.direction} call, {c.outcome or c.status}",
            {"pbx": c.pbx, "call_id": c.call_id, "outcome": c.outcome, "queue": c.queue,
             "agent_id": c.agent_id, "talk_seconds": c.talk_seconds,
             "recording": {"id": rec_id, "status": rec_status} if rec_id else None},
        )
        for c, rec_id, rec_status in rows
    ]  # fmt: skip


async def _requests(s: Any, customer_id: int) -> list[TimelineItem]:
    rows = list(
        await s.scalars(
            select(ServiceRequest).where(
                ServiceRequest.customer_id == customer_id, ServiceRequest.deleted_at.is_(None)
            )
        )
    )
    out = []
    for r in rows:
        kind = "complaint" if r.type == "complaint" else "service_request"
        data = {"number": r.number, "status": r.status, "call_record_id": r.call_record_id, "type": r.type}
        out.append(TimelineItem(r.created_at, kind, r.id, f"{r.number} {r.subject}", data))
    steps = await s.scalars(
        select(TicketStep).where(
            TicketStep.request_id.in_([r.id for r in rows]), TicketStep.action == "follow_up"
        )
    )
    by_id = {r.id: r for r in rows}
    for step in steps:
        req = by_id[step.request_id]
        data = {"number": req.number, "satisfaction": req.satisfaction, "comment": req.follow_up_comment}
        out.append(TimelineItem(step.at, "follow_up", req.id, f"{req.number} follow-up", data))
    return out


async def _callbacks(s: Any, customer_id: int) -> list[TimelineItem]:
    rows = await s.scalars(
        select(Callback).where(Callback.customer_id == customer_id, Callback.deleted_at.is_(None))
    )
    return [
        TimelineItem(
            c.created_at, "callback", c.id, f"callback {c.number} ({c.status})",
            {"scheduled_at": c.scheduled_at.isoformat(), "status": c.status, "source": c.source,
             "call_record_id": c.call_record_id},
        )
        for c in rows
    ]  # fmt: skip


async def _notes(s: Any, customer_id: int) -> list[TimelineItem]:
    rows = await s.scalars(select(CustomerNote).where(CustomerNote.customer_id == customer_id))
    return [
        TimelineItem(
            n.created_at, "note", n.id, n.body[:80],
            {"author_id": n.author_id, "call_record_id": n.call_record_id},
        )
        for n in rows
    ]  # fmt: skip
