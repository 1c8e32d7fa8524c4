"""Call records from call events: agents involved, timings, outcome, disposition, wrap-up time."""

from __future__ import annotations

import pytest

from crm_core.calls import CallRecordService, DispositionError
from crm_core.db import Database
from crm_core.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallQueued,
    CallTransferred,
    OfferWithdrawn,
)
from crm_core.seat_history import SeatHistoryService
from crm_core.users import UserService

T0 = 1_790_000_000.0
A1, A2 = "PJSIP/1001", "PJSIP/1002"


def _ringall_then_transfer() -> list:
    return [
        CallQueued("bj", "c1", "13912345678", "刘洋", "support", 1, T0),
        CallOffered("bj", "c1", A1, "13912345678", "刘洋", "support", T0 + 5),
        CallOffered("bj", "c1", A2, "13912345678", "刘洋", "support", T0 + 5),
        CallAnswered("bj", "c1", A1, "support", "13912345678", T0 + 8, 8.0, 3.0),
        OfferWithdrawn("bj", "c1", A2, "answered_elsewhere", T0 + 8),
        CallTransferred("bj", "c1", A1, A2, "blind", T0 + 60),
        CallOffered("bj", "c1", A2, "13912345678", "刘洋", None, T0 + 60, reason="transfer",
                    transferred_by=A1),
        CallAnswered("bj", "c1", A2, None, "13912345678", T0 + 62, 8.0, 2.0),
        CallEnded(
            "bj", "c1", "answered", "13912345678", "刘洋", "support", A2, T0 + 120, T0, T0 + 8, 8.0, 112.0,
            offered_at=T0 + 5, ring_seconds=3.0, hold_seconds=10.0, agents=(A1, A2), transferred=True,
        ),
    ]  # fmt: skip


async def test_given_ringall_and_transfer_then_one_record_with_both_agents(db: Database) -> None:
    users = UserService(db)
    first = await users.create("a1", "pw", "A1", interface=A1)
    second = await users.create("a2", "pw", "A2", interface=A2)
    calls = CallRecordService(db, "CN")
    for event in _ringall_then_transfer() * 2:  # every event delivered twice: still one record
        await calls.handle(event)

    record = await calls.get("bj", "c1")
    assert record is not None
    assert (record.outcome, record.transferred, record.agent_id) == ("answered", True, second.id)
    assert (record.wait_seconds, record.talk_seconds, record.hold_seconds) == (8.0, 112.0, 10.0)
    assert record.ring_seconds == 3.0 and record.offered_at.timestamp() == T0 + 5
    rows = await calls.agents_of(record.id)
    assert [(r.agent_id, r.result) for r in rows] == [(first.id, "answered"), (second.id, "answered")]
    assert rows[1].reason == "transfer"


async def test_disposition_must_be_configured_and_wrap_up_comes_from_seat_history(db: Database) -> None:
    agent = await UserService(db).create("a2", "pw", "A2", interface=A2)
    calls = CallRecordService(db, "CN", dispositions=("resolved", "sales"))
    seats = SeatHistoryService(db)
    for event in _ringall_then_transfer():
        await calls.handle(event)
    record = await calls.get("bj", "c1")
    assert record is not None
    with pytest.raises(DispositionError) as bad:
        await calls.set_disposition(record.id, agent.id, "made-up")
    assert bad.value.field == "disposition"
    updated = await calls.set_disposition(record.id, agent.id, "sales")
    assert updated.disposition == "sales"

    await seats.handle(AgentStateChanged("bj", A2, "on_call", "", ("support",), T0 + 62))
    await seats.handle(AgentStateChanged("bj", A2, "wrap_up", "", ("support",), T0 + 120))
    await seats.handle(AgentStateChanged("bj", A2, "wrap_up", "", ("support",), T0 + 120))  # repeated
    await seats.handle(AgentStateChanged("bj", A2, "ready", "", ("support",), T0 + 135.5))
    spans = await seats.history(A2)
    assert [(s.state, s.ended_at is None) for s in spans] == [
        ("on_call", False), ("wrap_up", False), ("ready", True)
    ]  # fmt: skip
    record = await calls.get("bj", "c1")
    assert record is not None and record.wrapup_seconds == 15.5
