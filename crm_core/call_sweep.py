"""Ending the calls that ended while no instance watched their PBX.

After a crash, a restart or a takeover by another instance, the new owner's tracker
knows only the calls the PBX still lists, so a call that ended in the gap never gets
its CallEnded. The adapter publishes PbxResynced with the live call ids; for every
record of that PBX still open and not among them, a CallEnded is published, dated at
the resync (the latest moment the call can have ended), its outcome and times taken
from what the record saw. It goes through the bus like any other: the record is closed
by the call-records writer, consoles drop the card, the wallboard counts the call,
the recording is picked up.

CallRecordWriter is the one "call-records" bus subscriber: call events and the resync
notice go through the same ordered queue, so the sweep sees exactly the records written
before the snapshot, never a call that began after it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from crm_core.calls import CallRecordService
from crm_core.db import Database, is_busy
from crm_core.events import CallEnded, CallEvent, PbxResynced
from crm_core.models import CallAgent, CallRecord

log = logging.getLogger(__name__)
_DONE_MAX = 10_000  # calls remembered as already ended by a sweep (a second resync comes before the write)


def _seconds(value: datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).timestamp()


class UnwatchedCalls:
    """Publishes CallEnded for the open records of a PBX that its resync says are over."""

    def __init__(self, db: Database, publish: Callable[[CallEnded], None]) -> None:
        self.db = db
        self.publish = publish
        self._done: OrderedDict[tuple[str, str], None] = OrderedDict()  # never ended twice

    async def close(self, event: PbxResynced) -> list[CallEnded]:
        """End every open record of event.pbx not in event.live_calls; the events published."""
        live = set(event.live_calls)
        async with self.db.read() as s:
            records = await s.scalars(
                select(CallRecord)
                .where(CallRecord.pbx == event.pbx, CallRecord.status != "ended")
                .order_by(CallRecord.id)
            )
            stale = [r for r in records if r.call_id not in live and (r.pbx, r.call_id) not in self._done]
            agents: dict[int, list[str]] = {r.id: [] for r in stale}
            if stale:
                rows = await s.execute(
                    select(CallAgent.call_record_id, CallAgent.agent_interface)
                    .where(CallAgent.call_record_id.in_(agents))
                    .order_by(CallAgent.id)
                )
                for record_id, interface in rows:
                    agents[record_id].append(interface)
            ended = [self._ended(r, tuple(agents[r.id]), event.at) for r in stale]
        for call_ended in ended:
            self._done[(call_ended.pbx, call_ended.call_id)] = None
            if len(self._done) > _DONE_MAX:
                self._done.popitem(last=False)
            self.publish(call_ended)
        if ended:
            log.warning("closed %d call record(s) that ended unwatched pbx=%s", len(ended), event.pbx)
        return ended

    @staticmethod
    def _ended(record: CallRecord, agents: tuple[str, ...], at: float) -> CallEnded:
        started = _seconds(record.started_at) or at
        answered, offered = _seconds(record.answered_at), _seconds(record.offered_at)
        end = max(at, started, answered or started, offered or started)
        if answered is not None:
            outcome = "answered"
        else:
            outcome = "abandoned" if record.direction == "inbound" else "no_answer"
        return CallEnded(
            record.pbx, record.call_id, outcome, record.caller_number, record.caller_name, record.queue,
            record.agent_interface, end, started, answered,
            record.wait_seconds or 0.0, end - answered if answered is not None else 0.0,
            direction=record.direction, offered_at=offered, ring_seconds=record.ring_seconds or 0.0,
            hold_seconds=record.hold_seconds or 0.0, agents=agents, transferred=record.transferred,
        )  # fmt: skip


class CallRecordWriter:
    """The call-records subscriber: call events to CallRecordService, resyncs to the sweep.

    Batched like CallRecordService.handle_batch; a batch is cut at each resync notice so
    the call events before it are written first and the ones after it only after the sweep.
    """

    def __init__(self, calls: CallRecordService, publish: Callable[[CallEnded], None]) -> None:
        self.calls = calls
        self.unwatched = UnwatchedCalls(calls.db, publish)

    async def handle_batch(self, events: Sequence[CallEvent | PbxResynced]) -> None:
        run: list[CallEvent] = []
        for event in events:
            if isinstance(event, PbxResynced):
                await self._step(self.calls.handle_batch(run), run)
                run = []
                await self._step(self.unwatched.close(event), [event])
            else:
                run.append(event)
        await self._step(self.calls.handle_batch(run), run)

    @staticmethod
    async def _step(work: Awaitable[object], events: Sequence[CallEvent | PbxResynced]) -> None:
        """One part of the batch; a busy database is retried whole by the bus, any other failure
        is logged and the rest of the batch (a sweep, later calls) still goes on."""
        try:
            await work
        except Exception as error:
            if is_busy(error):
                raise
            ids = sorted({f"{e.pbx}:{getattr(e, 'call_id', 'resync')}" for e in events})
            log.exception("call-records step failed, batch goes on calls=%s", ",".join(ids[:10]))
