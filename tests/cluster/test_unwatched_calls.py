"""Calls that ended while no instance watched their PBX are ended at the next resync, once.

The writer runs as in the service: the "call-records" subscriber of a real bus, which
also carries the CallEnded it publishes to whoever shows calls (consoles, wallboard).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from crm_core.bus import EventBus
from crm_core.call_sweep import CallRecordWriter
from crm_core.calls import CallRecordService
from crm_core.db import Database
from crm_core.events import CallAnswered, CallEnded, CallOffered, CallQueued, PbxResynced

T0 = 1_700_000_000.0
AGENT = "Local/1001@agents/n"
CALL_TYPES = (CallQueued, CallOffered, CallAnswered, CallEnded)


def _queued(call_id: str, pbx: str = "main") -> CallQueued:
    return CallQueued(pbx, call_id, "13912345678", "刘洋", "support", 1, T0)


@pytest.fixture
async def wired(db: Database) -> AsyncIterator[tuple[EventBus, CallRecordService, list[Any]]]:
    bus, calls, shown = EventBus(), CallRecordService(db, "CN"), []

    async def show(event: Any) -> None:
        shown.append(event)

    bus.subscribe("call-records", CallRecordWriter(calls, bus.publish).handle_batch, *CALL_TYPES, PbxResynced,
                  batch=500)  # fmt: skip
    bus.subscribe("hub", show, CallEnded)
    await bus.start()
    try:
        yield bus, calls, shown
    finally:
        await bus.stop()


async def test_open_records_not_live_after_a_resync_are_ended_and_live_ones_kept(wired: Any) -> None:
    bus, calls, shown = wired
    ended = CallEnded("main", "done", "answered", "", "", "support", None, T0 + 9, T0, T0 + 1, 1.0, 8.0)
    for event in (
        _queued("talked"),
        CallOffered("main", "talked", AGENT, "13912345678", "刘洋", "support", T0 + 2),
        CallAnswered("main", "talked", AGENT, "support", "13912345678", T0 + 4, 4.0, 2.0),
        _queued("waiting"), _queued("live"), _queued("done"), ended, _queued("other", "pbx2"),
        PbxResynced("main", ("live",), T0 + 60),
    ):  # fmt: skip
        bus.publish(event)
    await bus.drain()

    talked, waiting = await calls.get("main", "talked"), await calls.get("main", "waiting")
    assert talked is not None and waiting is not None
    assert (talked.status, talked.outcome, talked.talk_seconds) == ("ended", "answered", 56.0)
    assert talked.ended_at is not None and talked.ended_at.timestamp() == T0 + 60
    assert [(row.agent_interface, row.result) for row in await calls.agents_of(talked.id)] == [
        (AGENT, "answered")
    ]
    assert (waiting.status, waiting.outcome) == ("ended", "abandoned")
    for pbx, call_id, status in (
        ("main", "live", "queued"),
        ("main", "done", "ended"),
        ("pbx2", "other", "queued"),
    ):
        record = await calls.get(pbx, call_id)
        assert record is not None and record.status == status, call_id
    done = await calls.get("main", "done")
    assert done is not None and done.talk_seconds == 8.0  # its real end is kept
    assert sorted(e.call_id for e in shown) == ["done", "talked", "waiting"]  # consoles drop the cards


async def test_a_second_resync_before_the_write_does_not_end_a_call_twice(wired: Any) -> None:
    bus, _calls, shown = wired
    bus.publish(_queued("gone"))
    bus.publish(PbxResynced("main", (), T0 + 5))
    bus.publish(PbxResynced("main", (), T0 + 6))
    await bus.drain()

    assert [e.call_id for e in shown] == ["gone"]


async def test_a_call_that_starts_after_the_snapshot_in_the_same_batch_is_not_ended(wired: Any) -> None:
    bus, calls, _shown = wired
    for event in (_queued("before"), PbxResynced("main", (), T0 + 5), _queued("after")):
        bus.publish(event)
    await bus.drain()

    before, after = await calls.get("main", "before"), await calls.get("main", "after")
    assert before is not None and before.status == "ended"
    assert after is not None and after.status == "queued"


async def test_a_call_the_database_refuses_does_not_cost_the_sweep_or_later_calls_of_its_batch(
    wired: Any,
) -> None:
    bus, calls, shown = wired
    bad = CallQueued("main", "bad", "13900000000", None, "support", 1, T0)  # type: ignore[arg-type]
    for event in (
        _queued("gone"), PbxResynced("main", ("gone",), T0 + 4),
        bad, PbxResynced("main", (), T0 + 5),  # caller_name NULL: refused on both databases, alone in its run
        _queued("after"),
    ):  # fmt: skip
        bus.publish(event)
    await bus.drain()

    gone, after = await calls.get("main", "gone"), await calls.get("main", "after")
    assert gone is not None and gone.status == "ended" and [e.call_id for e in shown] == ["gone"]
    assert after is not None and after.status == "queued"
