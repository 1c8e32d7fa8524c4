"""Seat-state history: each state an agent's seat was in, from when to when.

Occupancy, pause time by reason and wrap-up time are computed from these spans,
so every AgentStateChanged closes the agent's open span and opens the next. The
length of a wrap-up span is also written on the call it followed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.db import Database, retry_when_busy
from crm_core.events import AgentStateChanged
from crm_core.models import CallRecord, SeatState, User

log = logging.getLogger(__name__)
BATCH_EVENTS = 200  # most seat changes the bus hands over at once (one transaction)


@dataclass(slots=True)
class _Span:
    """A seat span as the batch walks it (id None: opened by this batch)."""

    id: int | None
    pbx: str
    agent_interface: str
    state: str
    reason: str
    started_at: datetime
    ended_at: datetime | None = None
    agent_id: int | None = None

    def row(self) -> dict[str, Any]:
        return {"pbx": self.pbx, "agent_interface": self.agent_interface, "agent_id": self.agent_id,
                "state": self.state, "reason": self.reason, "started_at": self.started_at,
                "ended_at": self.ended_at}  # fmt: skip


class SeatHistoryService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle(self, event: AgentStateChanged) -> None:
        """Bus subscriber: close the open span, open the new one (idempotent for repeats); a busy
        database is waited out so no span is lost."""
        await retry_when_busy(lambda: self._apply_all([event]), f"seat-history {event.pbx}:{event.agent}")

    async def handle_batch(self, events: list[AgentStateChanged]) -> None:
        """Bus subscriber (batch=): every change queued meanwhile in one transaction, in order.

        One transaction per change was the busiest writer of the whole pipeline (four seat changes
        a call). Should the batch fail for another reason than a busy database, each change is
        applied alone, so a bad one costs only itself.
        """
        try:
            await retry_when_busy(lambda: self._apply_all(events), f"seat-history batch of {len(events)}")
        except Exception:
            if len(events) == 1:
                raise
            log.exception("seat-history batch failed, applying its %d changes one by one", len(events))
            for event in events:
                try:
                    await self.handle(event)
                except Exception:
                    log.exception("seat-history change lost pbx=%s agent=%s", event.pbx, event.agent)

    async def _apply_all(self, events: list[AgentStateChanged]) -> None:
        """The batch in one transaction and a handful of statements: the open spans and the agents'
        ids of every agent in it read at once, the spans walked in memory, then one bulk update
        (spans closed) and one bulk insert (spans opened). Per change, the ORM path it replaced cost
        four statements and a flush: the pipeline's busiest writer (BENCHMARKS.md a)."""
        agents = list({event.agent for event in events})
        async with self.db.write() as s:
            open_spans = await s.execute(
                select(SeatState.id, SeatState.pbx, SeatState.agent_interface, SeatState.state,
                       SeatState.reason, SeatState.started_at)
                .where(SeatState.agent_interface.in_(agents), SeatState.ended_at.is_(None))
                .order_by(SeatState.started_at, SeatState.id)
                .with_for_update()
            )  # fmt: skip
            current = {(row.pbx, row.agent_interface): _Span(*row) for row in open_spans}  # the latest wins
            agent_ids = await s.execute(select(User.interface, User.id).where(User.interface.in_(agents)))
            ids: dict[str | None, int] = {interface: user_id for interface, user_id in agent_ids}
            closed: list[_Span] = []
            opened: list[_Span] = []
            for event in events:
                at = datetime.fromtimestamp(event.at, UTC)
                key = (event.pbx, event.agent)
                span = current.get(key)
                if span is not None:
                    if (span.state, span.reason, span.started_at) == (event.state, event.reason, at):
                        continue  # the same change delivered twice
                    span.ended_at = max(at, span.started_at)
                    closed.append(span)
                span = _Span(
                    None, event.pbx, event.agent, event.state, event.reason, at, None, ids.get(event.agent)
                )
                current[key] = span
                opened.append(span)
            stored = [span for span in closed if span.id is not None]
            if stored:
                await s.execute(update(SeatState), [{"id": x.id, "ended_at": x.ended_at} for x in stored])
            if opened:
                await s.execute(insert(SeatState), [span.row() for span in opened])
            for span in closed:
                if span.state == "wrap_up":
                    await self._note_wrap_up(s, span)

    async def history(self, agent_interface: str, since: datetime | None = None) -> list[SeatState]:
        async with self.db.read() as s:
            query = select(SeatState).where(SeatState.agent_interface == agent_interface)
            if since is not None:
                query = query.where(SeatState.started_at >= since)
            return list(await s.scalars(query.order_by(SeatState.started_at, SeatState.id)))

    async def _note_wrap_up(self, s: AsyncSession, span: _Span) -> None:
        """Write the wrap-up length on the agent's last answered call that ended before it began."""
        assert span.ended_at is not None
        call = await s.scalar(
            select(CallRecord)
            .where(
                CallRecord.pbx == span.pbx,
                CallRecord.agent_interface == span.agent_interface,
                CallRecord.ended_at.is_not(None),
                CallRecord.ended_at <= span.started_at,
            )
            .order_by(CallRecord.ended_at.desc())
            .limit(1)
        )
        if call is not None and call.wrapup_seconds is None:
            call.wrapup_seconds = (span.ended_at - span.started_at).total_seconds()
