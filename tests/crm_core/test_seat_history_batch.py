"""Seat history written a burst at a time: the same spans as one change at a time, nothing lost."""

from __future__ import annotations

from crm_core.db import Database
from crm_core.events import AgentStateChanged
from crm_core.seat_history import SeatHistoryService

A, B = "Local/1001@agents/n", "Local/1002@agents/n"


def _change(agent: str, state: str, at: float, reason: str = "") -> AgentStateChanged:
    return AgentStateChanged("main", agent, state, reason, ("support",), at)


def _spans(rows: list) -> list[tuple]:
    return [
        (r.state, r.reason, r.started_at.timestamp(), r.ended_at and r.ended_at.timestamp()) for r in rows
    ]


async def test_given_a_burst_of_changes_then_one_batch_writes_the_spans_one_by_one_would(
    db: Database,
) -> None:
    changes = [_change(A, "ready", 100.0), _change(B, "ready", 100.0), _change(A, "ringing", 101.0),
               _change(A, "on_call", 103.0), _change(A, "on_call", 103.0),  # a repeat
               _change(B, "paused", 104.0, "lunch"), _change(A, "ready", 160.0)]  # fmt: skip
    seats = SeatHistoryService(db)

    await seats.handle_batch(changes[:4])
    await seats.handle_batch(changes[4:])

    assert _spans(await seats.history(A)) == [
        ("ready", "", 100.0, 101.0), ("ringing", "", 101.0, 103.0), ("on_call", "", 103.0, 160.0),
        ("ready", "", 160.0, None),
    ]  # fmt: skip
    assert _spans(await seats.history(B)) == [("ready", "", 100.0, 104.0), ("paused", "lunch", 104.0, None)]


async def test_given_one_bad_change_in_a_batch_then_only_that_change_is_lost(db: Database) -> None:
    seats = SeatHistoryService(db)
    bad = _change(B, "ready", float("inf"))  # no datetime for it: this change cannot be written

    await seats.handle_batch([_change(A, "ready", 100.0), bad, _change(A, "paused", 130.0, "break")])

    assert _spans(await seats.history(A)) == [("ready", "", 100.0, 130.0), ("paused", "break", 130.0, None)]
    assert await seats.history(B) == []
