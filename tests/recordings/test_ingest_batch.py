"""The batched ingest (RecordingService.on_calls_ended, RecordingStore.ingest_many): a burst of calls
ending settles together, and each call's row is exactly what the one-by-one path writes.

Real files in tmp_path spool/store folders, real databases (SQLite and PostgreSQL).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from crm_core.audit.models import AuditEntry
from crm_core.bus import EventBus
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.events import CallEnded, SystemAlarm
from crm_core.migrate import upgrade
from crm_core.recording.models import Recording, RecordingMute
from crm_core.recording.ports import SourceUnusable
from crm_core.recording.rows import get_or_create
from crm_core.recording.service import BATCH_EVENTS, RecordingService, RetentionPolicy
from recordings.store import RecordingStore
from tests.conftest import _pg_database, _pg_drop
from tests.recordings.support import T0, answered_call, ended, make_wav

AGENT = "Local/1001@agents/n"


@pytest.fixture
async def twin_db(db_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A second migrated database of the same kind as db (the one-by-one reference)."""
    name = None
    if db_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path / 'twin.sqlite3'}"
    else:
        name, url = await _pg_database()
    database = Database(url)
    await upgrade(database)
    try:
        yield database
    finally:
        await database.dispose()
        if name is not None:
            await _pg_drop(name)


def _service(db: Database, store: RecordingStore, publish: Callable[[Any], None]) -> RecordingService:
    return RecordingService(db, store, publish, RetentionPolicy(365, {"support": 30}))


def _store(root: Path, settle_seconds: float = 0.05, settle_tries: int = 5) -> RecordingStore:
    (root / "spool").mkdir(parents=True, exist_ok=True)
    return RecordingStore(root / "store", root / "spool", settle_seconds, settle_tries)


def _stored_files(store: RecordingStore) -> list[str]:
    """Every file under the store root, hidden temp files included."""
    return sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file())


async def _rows(db: Database) -> dict[str, Recording]:
    async with db.read() as s:
        return {rec.call_id: rec for rec in await s.scalars(select(Recording))}


async def test_twenty_calls_ending_together_settle_once_not_twenty_times(
    db: Database, tmp_path: Path, publish, alarms
) -> None:
    store = _store(tmp_path, settle_seconds=0.2)
    events = [await answered_call(db, f"1790000100.{n}", AGENT) for n in range(20)]
    data = {e.call_id: make_wav(store.spool / f"test-{e.call_id}.wav", 0.5) for e in events}
    service = _service(db, store, publish)

    started = time.perf_counter()
    await service.on_calls_ended(events)
    took = time.perf_counter() - started

    print(f"20 recordings ingested in one batch in {took:.2f}s (one by one: at least {20 * 0.2:.1f}s)")
    assert took < 2.0, f"the batch took {took:.2f}s: files settled one by one?"
    rows = await _rows(db)
    assert {c: r.status for c, r in rows.items()} == {e.call_id: "stored" for e in events}
    for call_id, rec in rows.items():
        assert rec.stored_path is not None and (store.root / rec.stored_path).read_bytes() == data[call_id]
        assert rec.call_record_id is not None
    assert list(store.spool.iterdir()) == [] and alarms == []


async def test_subscribed_with_batch_the_bus_hands_the_burst_to_on_calls_ended(
    db: Database, tmp_path: Path, publish
) -> None:
    store = _store(tmp_path)
    events = [await answered_call(db, f"b{n}", AGENT) for n in range(5)]
    for event in events[:3]:
        make_wav(store.spool / f"test-{event.call_id}.wav", 0.3)
    bus = EventBus()
    bus.subscribe("recordings", _service(db, store, publish).on_calls_ended, CallEnded, batch=BATCH_EVENTS)
    for event in events:
        bus.publish(event)  # queued before the worker runs: one batch
    await bus.start()
    try:
        await bus.drain()
    finally:
        await bus.stop()
    rows = await _rows(db)
    assert {c: r.status for c, r in rows.items()} == {
        "b0": "stored", "b1": "stored", "b2": "stored", "b3": "missing", "b4": "missing"
    }  # fmt: skip


async def _scene(db: Database, store: RecordingStore, publish: Callable[[Any], None]) -> list[CallEnded]:
    """The same calls, files and earlier state in a database; the batch's events (with repeats)."""
    await CustomerService(db, "CN", "Asia/Shanghai").create("刘洋", ["13912345678"])
    stored = await answered_call(db, "s1", AGENT)
    muted = await answered_call(db, "s2", AGENT, queue="sales")
    missing = await answered_call(db, "m1", AGENT)
    empty = await answered_call(db, "e1", AGENT)
    replayed = await answered_call(db, "r1", AGENT)
    make_wav(store.spool / "test-r1.wav", 0.5)
    await _service(db, store, publish).on_call_ended(replayed)  # stored before the batch
    make_wav(store.spool / "test-r1.wav", 0.7)  # a spool copy the replay must not take
    make_wav(store.spool / "test-s1.wav", 1.0)
    make_wav(store.spool / "test-s2.wav", 1.5)
    (store.spool / "test-e1.wav").write_bytes(b"")
    async with db.write() as s:  # a card-data mute still open when the call ends
        rec = await get_or_create(s, "test", "s2")
        s.add(RecordingMute(recording_id=rec.id, muted_at=datetime.fromtimestamp(T0 + 20, UTC)))
    unanswered = ended("n1", None)  # no file, no conversation: no row
    unsafe = ended("../etc", AGENT)
    return [stored, missing, unanswered, empty, unsafe, stored, replayed, muted, missing]


def _fields(r: Recording) -> tuple[Any, ...]:
    """A row's fields but its random public id and its ids and time of storing (per database)."""
    return (
        r.status, r.status_detail, r.stored_path, r.size_bytes, r.sha256, r.format, r.duration_seconds,
        r.queue, r.source_name, r.started_at, r.ended_at, r.retain_until,
        r.call_record_id is not None, r.customer_id is not None, r.stored_at is not None,
    )  # fmt: skip


async def _outcome(db: Database, store: RecordingStore) -> dict[str, Any]:
    """Everything the ingest decides, without what differs between two databases by nature."""
    rows = await _rows(db)
    async with db.read() as s:
        mutes = [(m.resumed_at, m.auto_resumed) for m in await s.scalars(select(RecordingMute))]
        audits = sorted(
            (e.action, str(e.after)) for e in await s.scalars(select(AuditEntry)) if e.entity == "recording"
        )
    return {
        "rows": {c: _fields(r) for c, r in sorted(rows.items())},
        "mutes": mutes,
        "audits": audits,
        "store": _stored_files(store),
        "spool": sorted(p.name for p in store.spool.iterdir()),
    }


async def test_a_mixed_batch_gives_each_call_exactly_what_the_one_by_one_path_gives(
    db: Database, twin_db: Database, tmp_path: Path
) -> None:
    batch_alarms: list[Any] = []
    single_alarms: list[Any] = []
    batch_store, single_store = _store(tmp_path / "batch"), _store(tmp_path / "single")
    events = await _scene(db, batch_store, batch_alarms.append)
    await _scene(twin_db, single_store, single_alarms.append)

    await _service(db, batch_store, batch_alarms.append).on_calls_ended(events)
    one_by_one = _service(twin_db, single_store, single_alarms.append)
    for event in events:
        await one_by_one.on_call_ended(event)

    batch, single = await _outcome(db, batch_store), await _outcome(twin_db, single_store)
    assert batch == single
    statuses = {c: row[0] for c, row in batch["rows"].items()}
    assert statuses == {"e1": "empty", "m1": "missing", "r1": "stored", "s1": "stored", "s2": "stored"}
    assert batch["rows"]["s1"][12:14] == (True, True)  # linked to the call record and its customer
    assert batch["mutes"] == [(datetime.fromtimestamp(T0 + 40, UTC), True)]  # auto-resumed at the end
    assert ("resume", "{'reason': 'call_ended'}") in batch["audits"]
    assert batch["spool"] == ["test-e1.wav", "test-r1.wav"]  # the replay left the stored recording alone
    assert [a for a in batch_alarms if isinstance(a, SystemAlarm)] == []


async def test_a_file_still_growing_is_unreadable_and_leaves_nothing_while_the_rest_are_stored(
    db: Database, tmp_path: Path, publish, alarms
) -> None:
    store = _store(tmp_path, settle_seconds=0.1, settle_tries=3)
    events = [await answered_call(db, call_id, AGENT) for call_id in ("g1", "g2", "g3")]
    make_wav(store.spool / "test-g1.wav", 0.5)
    make_wav(store.spool / "test-g3.wav", 0.5)
    growing = store.spool / "test-g2.wav"
    make_wav(growing, 0.2)
    stop = threading.Event()

    def keep_writing() -> None:  # a MixMonitor that never finishes the file
        while not stop.is_set():
            with open(growing, "ab") as f:
                f.write(b"\x01\x00" * 400)
            time.sleep(0.05)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        await _service(db, store, publish).on_calls_ended(events)
    finally:
        stop.set()
        writer.join(timeout=10)

    rows = await _rows(db)
    assert {c: r.status for c, r in rows.items()} == {"g1": "stored", "g2": "unreadable", "g3": "stored"}
    assert rows["g2"].status_detail == "the PBX kept writing the file" and rows["g2"].stored_path is None
    assert _stored_files(store) == ["2026/09/21/test-g1.wav", "2026/09/21/test-g3.wav"]  # no partial copy
    assert growing.exists() and alarms == []


def test_missing_and_unsafe_files_answer_at_once_without_a_settle(tmp_path: Path) -> None:
    store = _store(tmp_path, settle_seconds=2.0)
    at = datetime.fromtimestamp(T0, UTC)

    started = time.perf_counter()
    results = store.ingest_many_sync([("test-m.wav", at), ("../x.wav", at)])
    took = time.perf_counter() - started

    assert took < 1.0, f"no file to settle, yet the batch took {took:.2f}s"
    assert [(type(r), getattr(r, "status", None)) for r in results] == [
        (SourceUnusable, "missing"),
        (SourceUnusable, "unreadable"),
    ]
    assert _stored_files(store) == []


def test_an_empty_file_settles_before_it_is_called_empty(tmp_path: Path) -> None:
    """The PBX may not have flushed the file at hang-up: empty is a verdict after a settle, not before."""
    store = _store(tmp_path, settle_seconds=0.3)
    (store.spool / "test-e.wav").write_bytes(b"")
    at = datetime.fromtimestamp(T0, UTC)

    started = time.perf_counter()
    [result] = store.ingest_many_sync([("test-e.wav", at)])
    took = time.perf_counter() - started

    assert isinstance(result, SourceUnusable) and result.status == "empty"
    assert took >= 0.3, f"called empty after {took:.2f}s, before one settle"
    assert _stored_files(store) == []


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # SQLite does not enforce column lengths
async def test_one_row_the_database_refuses_costs_only_its_own_call(
    db: Database, db_url: str, tmp_path: Path, publish, caplog: pytest.LogCaptureFixture
) -> None:
    store = _store(tmp_path)
    good = await answered_call(db, "ok1", AGENT)
    make_wav(store.spool / "test-ok1.wav", 0.5)
    missing = await answered_call(db, "ok2", AGENT)
    bad = ended("bad1", AGENT, queue="q" * 80)  # longer than recordings.queue (64): PostgreSQL refuses
    service = _service(db, store, publish)

    with caplog.at_level(logging.ERROR, logger="crm_core.recording.service"):
        await service.on_calls_ended([good, bad, missing])

    rows = await _rows(db)
    assert {c: r.status for c, r in rows.items()} == {"ok1": "stored", "ok2": "missing"}
    assert any("recording row lost" in r.getMessage() and "bad1" in r.getMessage() for r in caplog.records)
    with pytest.raises(DBAPIError):  # alone, the failure reaches the bus (which logs it)
        await service.on_call_ended(bad)
