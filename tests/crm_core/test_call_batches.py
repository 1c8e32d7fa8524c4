"""Call records written in batches from the bus: nothing lost or doubled in bursts, replays and failures."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from crm_core.bus import EventBus
from crm_core.calls import BATCH_EVENTS, CallRecordService
from crm_core.db import Database
from crm_core.events import CallAnswered, CallEnded, CallOffered, CallQueued, OfferWithdrawn
from crm_core.migrate import upgrade
from crm_core.models import CallAgent, CallRecord, User
from tests.faults.locks import write_lock
from tests.polling import eventually

T0 = 1_790_000_000.0
AGENTS = ("PJSIP/1001", "PJSIP/1002", "PJSIP/1003")


def _call(i: int) -> list[object]:
    """A queued call; every other one rings two agents, one answers and the other is withdrawn."""
    cid, at, number = f"{1_790_000_000 + i}.{i}", T0 + i, f"1391234{i:04d}"
    agent, other = AGENTS[i % 3], AGENTS[(i + 1) % 3]
    both = i % 2 == 0
    events: list[object] = [CallQueued("bj", cid, number, "", "support", 1, at)]
    events += [
        CallOffered("bj", cid, a, number, "", "support", at + 2)
        for a in ((agent, other) if both else (agent,))
    ]
    events += [CallAnswered("bj", cid, agent, "support", number, at + 5, 5.0, 3.0)]
    events += [OfferWithdrawn("bj", cid, other, "answered_elsewhere", at + 5)] if both else []
    events += [
        CallEnded(
            "bj",
            cid,
            "answered",
            number,
            "",
            "support",
            agent,
            at + 60,
            at,
            at + 5,
            5.0,
            55.0,
            offered_at=at + 2,
            agents=(agent, other) if both else (agent,),
        )
    ]
    return events  # fmt: skip


def _interleaved(calls: int, spread: int = 40) -> list[object]:
    """Many calls at once: each call's events are `spread` calls apart, as on a busy PBX."""
    slots = [(i + j * spread, j, e) for i in range(calls) for j, e in enumerate(_call(i))]
    return [e for _s, _j, e in sorted(slots, key=lambda s: (s[0], s[1]))]


async def _counts(db: Database) -> tuple[int, int, int, int]:
    async with db.read() as s:
        records = await s.scalar(select(func.count()).select_from(CallRecord))
        ended = await s.scalar(select(func.count()).where(CallRecord.status == "ended"))
        answered_by_agent = await s.scalar(select(func.count()).where(CallRecord.agent_id.is_not(None)))
        agents = await s.scalar(select(func.count()).select_from(CallAgent))
    return records, ended, answered_by_agent, agents


async def _bus(db: Database) -> EventBus:
    """The call-records subscription as the service wires it."""
    async with db.write() as s:  # agents with their interfaces (no password: they never sign in here)
        rows = [{"login": f"a{n}", "password_hash": "-", "display_name": f"A{n}", "interface": interface}
                for n, interface in enumerate(AGENTS)]  # fmt: skip
        await (await s.connection()).execute(insert(User), rows)
    bus = EventBus()
    bus.subscribe("call-records", CallRecordService(db, "CN").handle_batch, batch=BATCH_EVENTS)
    await bus.start()
    return bus


async def test_given_a_burst_of_overlapping_calls_then_each_is_recorded_once_even_when_replayed(
    db: Database,
) -> None:
    bus = await _bus(db)
    events = _interleaved(300)
    for event in events + events:  # a burst, then all of it again (a replay after a resync)
        bus.publish(event)
    await bus.drain()
    await bus.stop()
    assert await _counts(db) == (300, 300, 300, 450)  # 150 calls rang two agents
    async with db.read() as s:
        withdrawn = await s.scalar(select(func.count()).where(CallAgent.result == "withdrawn"))
        answered = await s.scalar(select(func.count()).where(CallAgent.result == "answered"))
    assert (withdrawn, answered) == (150, 300)


async def test_given_the_database_locked_past_its_timeout_when_a_batch_fails_then_it_is_retried_whole(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(db_url, busy_timeout_ms=200)
    await upgrade(db)
    try:
        bus = await _bus(db)
        caplog.set_level(logging.WARNING, "crm_core.db")
        async with write_lock(db_url, "call_records"):
            for event in _interleaved(40):
                bus.publish(event)
            await eventually(lambda: "database busy, retrying" in caplog.text, within=10)
        await bus.drain()  # the lock is gone: the repeated batch goes through
        await bus.stop()
        assert await _counts(db) == (40, 40, 40, 60)
    finally:
        await db.dispose()


async def test_given_one_call_the_database_refuses_then_the_other_calls_of_its_batch_are_still_written(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    bus = await _bus(db)
    events = _interleaved(20)
    bad = CallQueued("bj", "bad-call", "13900000000", None, "support", 1, T0)  # type: ignore[arg-type]
    for event in [*events[:30], bad, *events[30:]]:  # caller_name NULL: refused on both databases
        bus.publish(event)
    await bus.drain()
    await bus.stop()
    assert await _counts(db) == (20, 20, 20, 30)
    assert "call record not written pbx=bj call=bad-call" in caplog.text


async def test_given_an_ended_call_when_a_late_call_ended_is_replayed_then_its_record_keeps_the_first_end(
    db: Database,
) -> None:
    bus = await _bus(db)
    first = _call(1)
    for event in first:
        bus.publish(event)
    await bus.drain()
    real: CallEnded = first[-1]  # type: ignore[assignment]
    # An owner fenced off and back on the PBX replays the call it no longer sees, hours later.
    replay = CallEnded(
        "bj", real.call_id, "abandoned", real.caller_number, "", "support", "", real.at + 7200,
        real.queued_at, None, 9.0, 0.0,
    )  # fmt: skip
    for event in [*first[1:-1], replay]:  # even after a replayed offer and answer
        bus.publish(event)
    await bus.drain()
    await bus.stop()
    async with db.read() as s:
        record = (await s.scalars(select(CallRecord).where(CallRecord.call_id == real.call_id))).one()
    assert (record.status, record.outcome, record.talk_seconds) == ("ended", "answered", 55.0)
    assert record.ended_at.replace(tzinfo=None) == datetime.fromtimestamp(real.at, UTC).replace(tzinfo=None)
