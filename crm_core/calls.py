"""Call records: every call the tracker reports becomes one row, attached to its customer and agents.

Handlers are idempotent and keyed by PBX + call id, so a replayed or repeated
event updates the same record instead of adding a second one; every agent the
call was offered to gets one CallAgent row (who rang, who answered). The bus hands
the events over in batches (crm_core/call_batch.py writes one batch per transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.admin.models import Disposition
from crm_core.call_batch import CallBatch
from crm_core.db import Database, retry_when_busy
from crm_core.events import CallEvent
from crm_core.models import CallAgent, CallRecord

log = logging.getLogger(__name__)

DEFAULT_DISPOSITIONS = ("resolved", "follow_up", "sales", "complaint", "wrong_number", "other")
BATCH_EVENTS = 500  # most call events the bus hands the writer at once (one transaction)


class DispositionError(ValueError):
    """The disposition is not one the call center configured, or the call does not exist."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class CallRecordService:
    def __init__(
        self, db: Database, default_region: str, dispositions: Sequence[str] = DEFAULT_DISPOSITIONS
    ) -> None:
        self.db = db
        self.region = default_region
        self.dispositions = tuple(dispositions)

    async def handle(self, event: CallEvent) -> None:
        """Apply one call event to its record (the batch path with a batch of one)."""
        await self.handle_batch([event])

    async def handle_batch(self, events: Sequence[CallEvent]) -> None:
        """Bus subscriber: apply queued call events, in order, in one transaction.

        A busy database is waited out (the batch is repeated whole: records are keyed by
        PBX + call id, so nothing doubles). A batch failing for another reason is split by
        call, so one bad call cannot take the others' records with it.
        """
        if not events:
            return
        first = events[0]
        try:
            await retry_when_busy(lambda: self._write(events), f"call-records {first.pbx}:{first.call_id}")
        except Exception:
            if len({(e.pbx, e.call_id) for e in events}) == 1:
                raise
            log.exception("call-record batch failed, writing call by call events=%d", len(events))
            await self._write_by_call(events)

    async def _write_by_call(self, events: Sequence[CallEvent]) -> None:
        calls: dict[tuple[str, str], list[CallEvent]] = {}
        for event in events:
            calls.setdefault((event.pbx, event.call_id), []).append(event)
        for (pbx, call_id), group in calls.items():
            try:
                await retry_when_busy(lambda g=group: self._write(g), f"call-record {pbx}:{call_id}")
            except Exception:
                log.exception("call record not written pbx=%s call=%s events=%d", pbx, call_id, len(group))

    async def _write(self, events: Sequence[CallEvent]) -> None:
        async with self.db.write() as s:
            await CallBatch(events, self.region).run(await s.connection())

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
