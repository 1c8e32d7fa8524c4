"""What the IVR learned about a call, kept on its call record (and the survey on the request).

The IVR runs before the call reaches a queue, so the record may not exist yet: it is
created here keyed by PBX + call id (Linkedid), exactly as CallRecordService keys it,
which then finds and completes the same row. Each write is one short transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Clock, CrmError, Invalid, utc_clock
from crm_core.models import CallRecord
from crm_core.tickets.models import ServiceRequest
from crm_core.tickets.service import TicketService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallKey:
    pbx: str
    call_id: str
    caller_number: str = ""  # E.164, for a record created here
    customer_id: int | None = None


class IvrResults:
    def __init__(self, db: Database, tickets: TicketService, clock: Clock = utc_clock) -> None:
        self.db, self.tickets, self.clock = db, tickets, clock

    async def record_route(self, key: CallKey, language: str, reason: str) -> None:
        """The caller's language and why the call was routed as it was."""
        async with self.db.write() as s:
            record = await self._record(s, key)
            record.language, record.route_reason = language[:8], reason[:64]
            if record.customer_id is None:
                record.customer_id = key.customer_id

    async def record_survey(self, key: CallKey, score: int) -> str | None:
        """Store a 1–5 survey score on the call; also the follow-up of a resolved request
        raised on this call. Returns that request's number, or None (also when the follow-up
        step is refused: the score is committed first and the caller is still thanked)."""
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise Invalid("survey_score", "must be a whole number from 1 to 5")
        async with self.db.write() as s:
            record = await self._record(s, key)
            record.survey_score, record.survey_at = score, self.clock()
            request = await s.scalar(
                select(ServiceRequest)
                .where(ServiceRequest.call_record_id == record.id, ServiceRequest.deleted_at.is_(None))
                .where(ServiceRequest.status == "resolved")
                .order_by(ServiceRequest.id.desc())
                .limit(1)
            )
            request_id = None if request is None else (request.id, request.number)
        if request_id is None:
            return None
        try:
            await self.tickets.transition(
                request_id[0], "follow_up", SYSTEM, satisfaction=score, comment="post-call IVR survey"
            )
        except CrmError as exc:  # e.g. an agent followed it up meanwhile: the score is kept anyway
            log.warning("ivr survey follow-up not recorded: %s", type(exc).__name__)
            return None
        return request_id[1]

    async def _record(self, s: AsyncSession, key: CallKey) -> CallRecord:
        record = await s.scalar(
            select(CallRecord)
            .where(CallRecord.pbx == key.pbx, CallRecord.call_id == key.call_id)
            .with_for_update()
        )
        if record is None:
            record = CallRecord(
                pbx=key.pbx,
                call_id=key.call_id,
                caller_number=key.caller_number,
                caller_name="",
                customer_id=key.customer_id,
                started_at=self.clock(),
                status="queued",
                notes="",
                direction="inbound",
                transferred=False,
            )
            s.add(record)
            await s.flush()
        return record
