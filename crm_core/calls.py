"""Call records: every call the tracker reports becomes one row, attached to its customer and agent.

Handlers are idempotent and keyed by PBX + call id, so a replayed or repeated
event updates the same record instead of adding a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.db import Database
from crm_core.events import CallAnswered, CallEnded, CallEvent, CallOffered, CallQueued, OfferWithdrawn
from crm_core.models import CallRecord, CustomerPhone, User
from crm_core.phones import normalize_number


def _ts(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


class CallRecordService:
    def __init__(self, db: Database, default_region: str) -> None:
        self.db = db
        self.region = default_region

    async def handle(self, event: CallEvent) -> None:
        """Bus subscriber: apply one call event to its record."""
        if isinstance(event, OfferWithdrawn):
            return
        async with self.db.write() as s:
            record = await self._get_or_create(s, event)
            if isinstance(event, CallQueued):
                record.queue = event.queue
            elif isinstance(event, CallOffered):
                record.queue = record.queue or event.queue
                if record.status == "queued":
                    record.status = "ringing"
            elif isinstance(event, CallAnswered):
                await self._answered(s, record, event)
            elif isinstance(event, CallEnded):
                await self._ended(s, record, event)

    async def get(self, pbx: str, call_id: str) -> CallRecord | None:
        async with self.db.read() as s:
            return await s.scalar(
                select(CallRecord).where(CallRecord.pbx == pbx, CallRecord.call_id == call_id)
            )

    async def _get_or_create(self, s: AsyncSession, event: CallEvent) -> CallRecord:
        record = await s.scalar(
            select(CallRecord)
            .where(CallRecord.pbx == event.pbx, CallRecord.call_id == event.call_id)
            .with_for_update()  # PostgreSQL row lock; SQLite's BEGIN IMMEDIATE already serialises
        )
        if record is not None:
            return record
        number = normalize_number(event.caller_number, self.region)
        customer_id = (
            await s.scalar(
                select(CustomerPhone.customer_id)
                .where(CustomerPhone.e164 == number)
                .order_by(CustomerPhone.customer_id)
                .limit(1)
            )
            if number
            else None
        )
        started = getattr(event, "queued_at", None) or event.at
        record = CallRecord(
            pbx=event.pbx,
            call_id=event.call_id,
            caller_number=number,
            caller_name=getattr(event, "caller_name", ""),
            customer_id=customer_id,
            started_at=_ts(started),
            status="queued",
            notes="",
            direction="inbound",
        )
        s.add(record)
        await s.flush()
        return record

    async def _answered(self, s: AsyncSession, record: CallRecord, event: CallAnswered) -> None:
        record.status = "answered"
        record.answered_at = _ts(event.at)
        record.wait_seconds = event.wait_seconds
        record.queue = record.queue or event.queue
        await self._set_agent(s, record, event.agent)

    async def _ended(self, s: AsyncSession, record: CallRecord, event: CallEnded) -> None:
        record.status = "ended"
        record.outcome = event.outcome
        record.ended_at = _ts(event.at)
        if event.answered_at is not None:
            record.answered_at = _ts(event.answered_at)
        record.wait_seconds = event.wait_seconds
        record.talk_seconds = event.talk_seconds
        record.abandon_position = event.abandon_position
        record.queue = record.queue or event.queue
        if event.agent:
            await self._set_agent(s, record, event.agent)

    async def _set_agent(self, s: AsyncSession, record: CallRecord, interface: str) -> None:
        record.agent_interface = interface
        record.agent_id = await s.scalar(select(User.id).where(User.interface == interface))
