"""Recordings as the call center keeps them: ingest at call end, retention purge, integrity verify.

Ingest never fails anything else: an unusable PBX file becomes a status on the
recording, a store that cannot take the file (disk full, not writable) becomes a
"failed" status plus a SystemAlarm for supervisors, and the service keeps going.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from crm_core.audit.service import record as audit
from crm_core.db import Database, retry_when_busy
from crm_core.domain_errors import SYSTEM, Clock, utc_clock
from crm_core.events import CallEnded, SystemAlarm
from crm_core.recording.access import RecordingAccess
from crm_core.recording.models import Recording
from crm_core.recording.ports import FileStore, SourceUnusable, StoredFile, StoreWriteFailed
from crm_core.recording.rows import (
    SAFE_PART,
    Key,
    insert_new,
    link_all,
    new_public_id,
    open_mutes,
    rows_for_update,
    statuses,
    ts,
)

log = logging.getLogger(__name__)
Publish = Callable[[Any], None]
DONE = ("stored", "purged", "corrupt")  # a replayed CallEnded must not touch these
BATCH_EVENTS = 100  # most CallEnded the bus hands the ingest at once (one settle, one transaction)


@dataclass(slots=True)
class _Row:
    """What one call's ingest gave, to be written on its recording row."""

    event: CallEnded
    ended: datetime
    stored: StoredFile | None
    status: str
    detail: str


@dataclass(frozen=True)
class RetentionPolicy:
    """Days a recording is kept, per queue; calls in no listed queue get default_days."""

    default_days: int = 365
    by_queue: Mapping[str, int] = field(default_factory=dict)

    def days(self, queue: str | None) -> int:
        return self.by_queue.get(queue or "", self.default_days)


@dataclass
class PurgeReport:
    purged: list[str] = field(default_factory=list)  # public ids
    already_gone: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"purged {len(self.purged)} recordings ({len(self.already_gone)} files were already gone)"]


@dataclass
class VerifyReport:
    checked: int = 0
    ok: int = 0
    missing: list[str] = field(default_factory=list)  # public ids
    corrupt: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.missing or self.corrupt else 0

    def lines(self) -> list[str]:
        out = [
            f"checked {self.checked}: ok {self.ok}, missing {len(self.missing)}, corrupt {len(self.corrupt)}"
        ]
        out += [f"missing {p}" for p in self.missing] + [f"corrupt {p}" for p in self.corrupt]
        return out


class RecordingService:
    def __init__(
        self,
        db: Database,
        store: FileStore,
        publish: Publish,
        retention: RetentionPolicy | None = None,
        clock: Clock = utc_clock,
        file_format: str = "wav",
    ) -> None:
        self.db = db
        self.store = store
        self.publish = publish
        self.retention = retention or RetentionPolicy()
        self.clock = clock
        self.file_format = file_format
        self.access = RecordingAccess(db, store)

    async def on_call_ended(self, event: CallEnded) -> None:
        """Bus subscriber (one event): take the call's file from the spool into the store."""
        await self.on_calls_ended([event])

    async def on_calls_ended(self, events: list[CallEnded]) -> None:
        """Bus subscriber (batch=): every call ended meanwhile, in one read, one ingest and one write.

        One at a time, each file's settle (0.5 s) capped ingest at about two calls a second and each
        call cost a read, a thread hop and a five-statement transaction: the pipeline's most costly
        subscriber. Each event still gets exactly what on_call_ended gave it alone.
        """
        todo: dict[Key, CallEnded] = {}
        for event in events:
            if not (SAFE_PART.fullmatch(event.pbx) and SAFE_PART.fullmatch(event.call_id)):
                log.warning("recording ingest skipped: unsafe pbx/call id pbx=%r", event.pbx[:64])
                continue
            todo.setdefault((event.pbx, event.call_id), event)  # a duplicate is handled once
        if not todo:
            return
        async with self.db.read() as s:
            existing = await statuses(s, todo)
        todo = {key: event for key, event in todo.items() if existing.get(key) not in DONE}
        if not todo:
            return
        ends = [ts(event.at) or self.clock() for event in todo.values()]
        sources = [self._source(event) for event in todo.values()]
        results = await self.store.ingest_many(list(zip(sources, ends, strict=True)))
        rows: list[_Row] = []
        for (key, event), ended, result in zip(todo.items(), ends, results, strict=True):
            if isinstance(result, SourceUnusable):
                if key not in existing and event.outcome != "answered":
                    continue  # no conversation and no file: nothing was meant to be recorded
                rows.append(_Row(event, ended, None, result.status, result.detail))
            elif isinstance(result, StoreWriteFailed):
                self._alarm(result.kind, f"recording could not be stored: {result.detail}", event)
                rows.append(_Row(event, ended, None, "failed", result.detail))
            else:
                rows.append(_Row(event, ended, result, "stored", ""))
        if rows:
            await self._save(rows)

    async def _save(self, rows: list[_Row]) -> None:
        """Write the rows in one transaction; a busy database is waited out (the files are already
        stored). Should the batch fail otherwise, each row is written alone: a bad one costs only itself."""
        try:
            purged = await retry_when_busy(lambda: self._write_rows(rows), f"recordings batch of {len(rows)}")
        except Exception:
            if len(rows) == 1:
                raise
            log.exception("recordings batch failed, writing its %d rows one by one", len(rows))
            purged, lost = [], []
            for row in rows:
                what = f"recording {row.event.pbx}:{row.event.call_id}"
                try:
                    purged += await retry_when_busy(lambda row=row: self._write_rows([row]), what)
                except Exception:
                    log.exception("recording row lost pbx=%s call=%s", row.event.pbx, row.event.call_id)
                    lost.append(row)
            rows = [row for row in rows if row not in lost]
        for row in purged:  # erased while it was being ingested: the file goes too
            assert row.stored is not None
            await self.store.remove(row.stored.path)
        for row in rows:
            log.info(
                "recording ingest pbx=%s call=%s status=%s", row.event.pbx, row.event.call_id, row.status
            )

    async def _write_rows(self, rows: list[_Row]) -> list[_Row]:
        """Write the rows in a handful of statements; the stored rows whose recording was purged
        meanwhile (a customer's erasure) are returned untouched: their files must go."""
        purged: list[_Row] = []
        async with self.db.write() as s:
            keys = [(row.event.pbx, row.event.call_id) for row in rows]
            recs = await rows_for_update(s, keys)
            mutes = await open_mutes(s, [rec.id for rec in recs.values() if rec.status != "purged"])
            new = {
                key: Recording(pbx=key[0], call_id=key[1], public_id=new_public_id(), status="pending")
                for key in keys
                if key not in recs
            }  # a pending one when the file is not in yet; built apart, inserted at once below
            await link_all(s, [*recs.values(), *new.values()])
            for row, key in zip(rows, keys, strict=True):
                rec = recs.get(key) or new[key]
                if rec.status == "purged":
                    if row.stored is not None:
                        purged.append(row)
                    continue
                self._fill(rec, row)
                span = mutes.get(rec.id) if key in recs else None
                if span is not None:  # the call ended while muted: the recording ended the span
                    span.resumed_at, span.auto_resumed = row.ended, True
                    audit(
                        s, SYSTEM, "recording", rec.id, "resume", None, {"reason": "call_ended"}, at=row.ended
                    )
            await insert_new(s, new.values())
            await s.flush()
        return purged

    def _fill(self, rec: Recording, row: _Row) -> None:
        event, ended, stored = row.event, row.ended, row.stored
        rec.queue = rec.queue or event.queue
        rec.source_name = self._source(event)
        rec.started_at = rec.started_at or ts(event.answered_at or event.queued_at or event.offered_at)
        rec.ended_at = ended
        rec.status, rec.status_detail = row.status, row.detail[:255]
        rec.retain_until = ended + timedelta(days=self.retention.days(rec.queue))
        if stored is not None:
            rec.stored_path, rec.size_bytes, rec.sha256 = stored.path, stored.size_bytes, stored.sha256
            rec.format, rec.duration_seconds = stored.format, stored.duration_seconds
            rec.stored_at = self.clock()

    def _source(self, event: CallEnded) -> str:
        return f"{event.pbx}-{event.call_id}.{self.file_format}"

    def _alarm(self, kind: str, detail: str, event: CallEnded) -> None:
        log.error("recording ingest failed pbx=%s call=%s kind=%s", event.pbx, event.call_id, kind)
        at = self.clock().timestamp()
        self.publish(SystemAlarm("recordings", kind, detail, at, pbx=event.pbx, call_id=event.call_id))

    async def purge(self, now: datetime | None = None) -> PurgeReport:
        """Remove files past their retention; each removal is kept in the audit trail."""
        now = now or self.clock()
        async with self.db.read() as s:
            rows = await s.scalars(
                select(Recording.id).where(
                    Recording.status.in_(("stored", "corrupt")), Recording.retain_until <= now
                )
            )
            ids = list(rows)
        report = PurgeReport()
        for rec_id in ids:
            await self._purge_one(rec_id, now, report)
        return report

    async def _purge_one(self, rec_id: int, now: datetime, report: PurgeReport) -> None:
        async with self.db.read() as s:
            rec = await s.get(Recording, rec_id)
            path = rec.stored_path if rec is not None else None
        removed = await self.store.remove(path) if path else False
        async with self.db.write() as s:
            rec = await s.get(Recording, rec_id)
            if rec is None:
                return
            before = {"status": rec.status, "path": rec.stored_path}
            rec.status, rec.stored_path = "purged", None
            rec.status_detail = f"retention ended {rec.retain_until:%Y-%m-%d}" if rec.retain_until else ""
            audit(s, SYSTEM, "recording", rec.id, "purge", before, {"status": "purged", "path": None}, at=now)
            (report.purged if removed else report.already_gone).append(rec.public_id)

    async def verify(self) -> VerifyReport:
        """Re-hash every stored file: a changed hash is corrupt, an absent file is missing."""
        async with self.db.read() as s:
            rows = await s.execute(
                select(Recording.id, Recording.stored_path, Recording.sha256).where(
                    Recording.status.in_(("stored", "corrupt", "missing")), Recording.stored_path.is_not(None)
                )
            )
            items = list(rows)
        report = VerifyReport()
        for rec_id, path, expected in items:
            try:
                actual = await self.store.sha256(path)
            except (OSError, ValueError):  # unreadable, or a path outside the store: not a crash
                log.warning("verify could not read recording id=%s", rec_id, exc_info=True)
                actual = None
            state = "stored" if actual == expected else ("missing" if actual is None else "corrupt")
            report.checked += 1
            public_id = await self._set_verified(rec_id, state)
            if state == "stored":
                report.ok += 1
            else:
                (report.missing if state == "missing" else report.corrupt).append(public_id)
        return report

    async def _set_verified(self, rec_id: int, state: str) -> str:
        async with self.db.write() as s:
            rec = await s.get(Recording, rec_id)
            assert rec is not None
            if rec.status != state:
                audit(s, SYSTEM, "recording", rec.id, "verify", {"status": rec.status}, {"status": state})
                rec.status = state
                rec.status_detail = "" if state == "stored" else f"verify found the file {state}"
            return rec.public_id
