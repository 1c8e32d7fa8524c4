"""Ingest, verify and retention against real files and real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.models import CallRecord
from crm_core.recording.models import Recording
from crm_core.recording.service import RecordingService, RetentionPolicy
from recordings.store import RecordingStore
from tests.recordings.support import T0, answered_call, ended, make_wav

AGENT = "Local/1001@agents/n"


async def _row(db: Database, call_id: str) -> Recording | None:
    async with db.read() as s:
        return await s.scalar(select(Recording).where(Recording.call_id == call_id))


def _service(db: Database, store: RecordingStore, publish, **kw) -> RecordingService:  # type: ignore[no-untyped-def]
    return RecordingService(db, store, publish, RetentionPolicy(365, {"support": 30}), **kw)


async def test_given_a_wav_in_the_spool_when_the_call_ends_then_it_is_stored_dated_hashed_and_linked(
    db: Database, store: RecordingStore, spool: Path, publish, alarms
) -> None:
    customer_id = await CustomerService(db, "CN", "Asia/Shanghai").create("刘洋", ["13912345678"])
    event = await answered_call(db, "1790000000.1", AGENT)
    data = make_wav(spool / "test-1790000000.1.wav", 2.5)
    service = _service(db, store, publish)

    await service.on_call_ended(event)

    rec = await _row(db, "1790000000.1")
    assert rec is not None and rec.status == "stored", rec and rec.status_detail
    assert rec.stored_path == "2026/09/21/test-1790000000.1.wav"
    assert (store.root / rec.stored_path).read_bytes() == data
    assert not (spool / "test-1790000000.1.wav").exists()
    assert rec.sha256 == hashlib.sha256(data).hexdigest() and rec.size_bytes == len(data)
    assert rec.duration_seconds == 2.5 and rec.format == "wav"
    async with db.read() as s:
        call = await s.scalar(select(CallRecord).where(CallRecord.call_id == "1790000000.1"))
    assert call is not None and rec.call_record_id == call.id and rec.customer_id == customer_id
    assert rec.retain_until == datetime.fromtimestamp(event.at, UTC) + timedelta(days=30)
    assert len(rec.public_id) == 32 and "1790000000" not in rec.public_id
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == ["test-1790000000.1.wav"]
    assert alarms == []

    await service.on_call_ended(event)  # a replayed CallEnded (resync) changes nothing
    again = await _row(db, "1790000000.1")
    assert again is not None and again.status == "stored" and again.sha256 == rec.sha256


async def test_given_an_unusable_spool_file_then_the_recording_gets_a_clear_status(
    db: Database, store: RecordingStore, spool: Path, publish, alarms
) -> None:
    service = _service(db, store, publish)
    (spool / "test-2.wav").write_bytes(b"")
    (spool / "test-3.wav").write_bytes(b"this is no RIFF header at all")
    for call_id in ("1", "2", "3"):
        await service.on_call_ended(await answered_call(db, call_id, AGENT))
    statuses = {c: (await _row(db, c)) for c in ("1", "2", "3")}
    assert {c: r.status for c, r in statuses.items() if r} == {
        "1": "missing",
        "2": "empty",
        "3": "unreadable",
    }
    assert all(r and r.stored_path is None and r.status_detail for r in statuses.values())
    assert list(store.root.rglob("*.wav")) == []
    assert alarms == []
    # an abandoned call without a file was never meant to be recorded: no row at all
    await service.on_call_ended(ended("4", None))
    assert await _row(db, "4") is None


async def test_verify_catches_a_flipped_byte_and_a_deleted_file(
    db: Database, store: RecordingStore, spool: Path, publish
) -> None:
    service = _service(db, store, publish)
    for call_id in ("10", "11", "12"):
        make_wav(spool / f"test-{call_id}.wav", 1.0)
        await service.on_call_ended(await answered_call(db, call_id, AGENT))
    flipped = await _row(db, "10")
    deleted = await _row(db, "11")
    assert flipped and deleted and flipped.stored_path and deleted.stored_path
    path = store.root / flipped.stored_path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    (store.root / deleted.stored_path).unlink()

    report = await service.verify()

    assert (report.checked, report.ok) == (3, 1)
    assert report.corrupt == [flipped.public_id] and report.missing == [deleted.public_id]
    assert report.exit_code == 1 and "corrupt 1" in report.lines()[0].replace(",", "")
    assert (await _row(db, "10")).status == "corrupt"  # type: ignore[union-attr]
    assert (await _row(db, "11")).status == "missing"  # type: ignore[union-attr]
    assert (await _row(db, "12")).status == "stored"  # type: ignore[union-attr]
    async with db.read() as s:
        actions = list(await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "recording")))
    assert actions.count("verify") == 2


async def test_purge_removes_files_past_their_queue_retention_and_records_it(
    db: Database, store: RecordingStore, spool: Path, publish
) -> None:
    service = _service(db, store, publish)
    make_wav(spool / "test-20.wav", 1.0)
    make_wav(spool / "test-21.wav", 1.0)
    await service.on_call_ended(await answered_call(db, "20", AGENT, queue="support"))  # 30 days
    await service.on_call_ended(await answered_call(db, "21", AGENT, queue="sales"))  # default 365
    short, long_ = await _row(db, "20"), await _row(db, "21")
    assert short and long_ and short.stored_path and long_.stored_path

    now = datetime.fromtimestamp(T0, UTC) + timedelta(days=31)
    report = await service.purge(now)

    assert report.purged == [short.public_id] and report.already_gone == []
    assert not (store.root / short.stored_path).exists()
    assert (store.root / long_.stored_path).exists()
    purged = await _row(db, "20")
    assert purged and purged.status == "purged" and purged.stored_path is None
    async with db.read() as s:
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "purge"))
    assert entry is not None and entry.entity_id == short.id and entry.user_id is None
    assert (await service.purge(now)).purged == []  # nothing left to do
    assert (await service.purge(now + timedelta(days=400))).purged == [long_.public_id]


async def test_a_file_the_pbx_is_still_writing_is_taken_only_once_complete(
    db: Database, tmp_path: Path, spool: Path, publish
) -> None:
    event = await answered_call(db, "1790000000.9", AGENT)
    data = make_wav(tmp_path / "full.wav", 2.0)
    target = spool / "test-1790000000.9.wav"
    target.write_bytes(data[:2000])

    def keep_writing() -> None:  # MixMonitor still flushing after the hang-up
        for at in range(2000, len(data), 1000):
            time.sleep(0.01)
            with open(target, "ab") as f:
                f.write(data[at : at + 1000])

    writer = threading.Thread(target=keep_writing)
    writer.start()
    store = RecordingStore(tmp_path / "store", spool, settle_seconds=0.2, settle_tries=40)
    try:
        await _service(db, store, publish).on_call_ended(event)
    finally:
        writer.join(timeout=30)
    rec = await _row(db, "1790000000.9")
    assert rec is not None and rec.status == "stored", rec and rec.status_detail
    assert rec.stored_path is not None and (store.root / rec.stored_path).read_bytes() == data
