"""Call records: every call the tracker reports becomes one row, attached to its customer and agents.

Handlers are idempotent and keyed by PBX + call id, so a replayed or repeated
event updates the same record instead of adding a second one; every agent the
call was offered to gets one CallAgent row (who rang, who answered).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.admin.models import Disposition
from crm_core.db import Database
from crm_core.events import (
    CallAnswered,
    CallEnded,
    CallEvent,
    CallOffered,
    CallQueued,
    CallTransferred,
    OfferWithdrawn,
)
from crm_core.models import CallAgent, CallRecord, CustomerPhone, User
from crm_core.phones import normalize_number

DEFAULT_DISPOSITIONS = ("resolved", "follow_up", "sales", "complaint", "wrong_number", "other")


class DispositionError(ValueError):
    """The disposition is not one the call center configured, or the call does not exist."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _ts(at: float | None) -> datetime | None:
    return None if at is None else datetime.fromtimestamp(at, UTC)


class CallRecordService:
    def __init__(
        self, db: Database, default_region: str, dispositions: Sequence[str] = DEFAULT_DISPOSITIONS
    ) -> None:
        self.db = db
        self.region = default_region
        self.dispositions = tuple(dispositions)

    async def handle(self, event: CallEvent) -> None:
        """Bus subscriber: apply one call event to its record."""
        async with self.db.write() as s:
            record = await self._get_or_create(s, event)
            if isinstance(event, CallQueued):
                record.queue = event.queue
            elif isinstance(event, CallOffered):
                await self._offered(s, record, event)
            elif isinstance(event, OfferWithdrawn):
                row = await self._agent_row(s, record, event.agent)
                if row.result == "offered":
                    row.result = "no_answer" if event.reason in ("no_answer", "busy") else "withdrawn"
            elif isinstance(event, CallAnswered):
                await self._answered(s, record, event)
            elif isinstance(event, CallTransferred):
                record.transferred = True
            elif isinstance(event, CallEnded):
                await self._ended(s, record, event)

    async def get(self, pbx: str, call_id: str) -> CallRecord | None:
        async with self.db.read() as s:
            return await s.scalar(
                select(CallRecord).where(CallRecord.pbx == pbx, CallRecord.call_id == call_id)
            )

    async def agents_of(self, record_id: int) -> list[CallAgent]:
        async with self.db.read() as s:
            rows = await s.scalars(
                select(CallAgent).where(CallAgent.call_record_id == record_id).order_by(CallAgent.id)
            )
            return list(rows)

    async def set_disposition(self, record_id: int, user_id: int, disposition: str) -> CallRecord:
        """The agent's wrap-up choice for the call: one of the active dispositions an administrator keeps."""
        async with self.db.write() as s:
            if disposition not in await self._active_dispositions(s):
                raise DispositionError(f"unknown disposition {disposition!r}", "disposition")
            record = await s.get(CallRecord, record_id)
            if record is None:
                raise DispositionError(f"no call record {record_id}", "call")
            record.disposition = disposition
            record.disposition_by = user_id
            return record

    async def _active_dispositions(self, s: AsyncSession) -> Sequence[str]:
        """The active dispositions of the database; until it is seeded (start-up does that from
        the same config), the configured list."""
        rows = (await s.execute(select(Disposition.code, Disposition.active))).all()
        return [code for code, active in rows if active] if rows else self.dispositions

    async def _get_or_create(self, s: AsyncSession, event: CallEvent) -> CallRecord:
        record = await s.scalar(
            select(CallRecord)
            .where(CallRecord.pbx == event.pbx, CallRecord.call_id == event.call_id)
            .with_for_update()  # PostgreSQL row lock; SQLite's BEGIN IMMEDIATE already serialises
        )
        if record is not None:
            return record
        number = normalize_number(getattr(event, "caller_number", ""), self.region)
        started = getattr(event, "queued_at", None) or event.at
        record = CallRecord(
            pbx=event.pbx,
            call_id=event.call_id,
            caller_number=number,
            caller_name=getattr(event, "caller_name", ""),
            customer_id=await self._customer_for(s, number),
            started_at=_ts(started),
            status="queued",
            notes="",
            direction=getattr(event, "direction", "inbound"),
            transferred=False,
        )
        s.add(record)
        await s.flush()
        return record

    async def _customer_for(self, s: AsyncSession, number: str) -> int | None:
        if not number:
            return None
        return await s.scalar(
            select(CustomerPhone.customer_id)
            .where(CustomerPhone.e164 == number)
            .order_by(CustomerPhone.customer_id)
            .limit(1)
        )

    async def _agent_row(self, s: AsyncSession, record: CallRecord, interface: str) -> CallAgent:
        row = await s.scalar(
            select(CallAgent).where(
                CallAgent.call_record_id == record.id, CallAgent.agent_interface == interface
            )
        )
        if row is None:
            agent_id = await s.scalar(select(User.id).where(User.interface == interface))
            row = CallAgent(call_record_id=record.id, agent_interface=interface, agent_id=agent_id)
            row.result, row.reason = "offered", "queue"
            s.add(row)
            await s.flush()
        return row

    async def _offered(self, s: AsyncSession, record: CallRecord, event: CallOffered) -> None:
        record.queue = record.queue or event.queue
        if record.status == "queued":
            record.status = "ringing"
        record.offered_at = record.offered_at or _ts(event.at)
        if not record.caller_number and event.caller_number:
            record.caller_number = normalize_number(event.caller_number, self.region)
            record.customer_id = await self._customer_for(s, record.caller_number)
        row = await self._agent_row(s, record, event.agent)
        row.offered_at = row.offered_at or _ts(event.at)
        row.reason = event.reason
        if row.result != "answered":
            row.result = "offered"

    async def _answered(self, s: AsyncSession, record: CallRecord, event: CallAnswered) -> None:
        record.status = "answered"
        record.answered_at = record.answered_at or _ts(event.at)
        record.wait_seconds = event.wait_seconds
        record.queue = record.queue or event.queue
        await self._set_agent(s, record, event.agent)
        row = await self._agent_row(s, record, event.agent)
        row.result = "answered"
        row.answered_at = row.answered_at or _ts(event.at)

    async def _ended(self, s: AsyncSession, record: CallRecord, event: CallEnded) -> None:
        record.status = "ended"
        record.outcome = event.outcome
        record.direction = event.direction
        record.ended_at = _ts(event.at)
        if event.answered_at is not None:
            record.answered_at = _ts(event.answered_at)
        record.offered_at = record.offered_at or _ts(event.offered_at)
        record.wait_seconds = event.wait_seconds
        record.talk_seconds = event.talk_seconds
        record.ring_seconds = event.ring_seconds
        record.hold_seconds = event.hold_seconds
        record.transferred = record.transferred or event.transferred
        record.abandon_position = event.abandon_position
        record.queue = record.queue or event.queue
        for interface in event.agents:
            await self._agent_row(s, record, interface)
        if event.agent:
            await self._set_agent(s, record, event.agent)

    async def _set_agent(self, s: AsyncSession, record: CallRecord, interface: str) -> None:
        record.agent_interface = interface
        record.agent_id = await s.scalar(select(User.id).where(User.interface == interface))
