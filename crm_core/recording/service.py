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
from crm_core.recording.rows import SAFE_PART, get_or_create, open_mute, ts

log = logging.getLogger(__name__)
Publish = Callable[[Any], None]
DONE = ("stored", "purged", "corrupt")  # a replayed CallEnded must not touch these


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
        """Bus subscriber: take the call's file from the spool into the store."""
        if not (SAFE_PART.fullmatch(event.pbx) and SAFE_PART.fullmatch(event.call_id)):
            log.warning("recording ingest skipped: unsafe pbx/call id pbx=%r", event.pbx[:64])
            return
        async with self.db.read() as s:
            existing = await s.scalar(
                select(Recording.status).where(Recording.pbx == event.pbx, Recording.call_id == event.call_id)
            )
        if existing in DONE:
            return
        ended = ts(event.at) or self.clock()
        source = f"{event.pbx}-{event.call_id}.{self.file_format}"
        stored: StoredFile | None = None
        status, detail = "stored", ""
        try:
            stored = await self.store.ingest(source, ended)
        except SourceUnusable as exc:
            if existing is None and event.outcome != "answered":
                return  # no conversation and no file: nothing was meant to be recorded
            status, detail = exc.status, exc.detail
        except StoreWriteFailed as exc:
            status, detail = "failed", exc.detail
            self._alarm(exc.kind, f"recording could not be stored: {exc.detail}", event)
        await self._save(event, ended, stored, status, detail)
        log.info("recording ingest pbx=%s call=%s status=%s", event.pbx, event.call_id, status)

    async def _save(
        self, event: CallEnded, ended: datetime, stored: StoredFile | None, status: str, detail: str
    ) -> None:
        """The row for what was ingested; a busy database is waited out (the file is already stored)."""
        what = f"recording {event.pbx}:{event.call_id}"
        kept = await retry_when_busy(lambda: self._write_row(event, ended, stored, status, detail), what)
        if not kept and stored is not None:  # erased while it was being ingested: the file goes too
            await self.store.remove(stored.path)

    async def _write_row(
        self, event: CallEnded, ended: datetime, stored: StoredFile | None, status: str, detail: str
    ) -> bool:
        """Write the row; False when the recording was purged meanwhile (a customer's erasure)."""
        async with self.db.write() as s:
            rec = await get_or_create(s, event.pbx, event.call_id)
            if rec.status == "purged":
                return False
            rec.queue = rec.queue or event.queue
            rec.source_name = f"{event.pbx}-{event.call_id}.{self.file_format}"
            rec.started_at = rec.started_at or ts(event.answered_at or event.queued_at or event.offered_at)
            rec.ended_at = ended
            rec.status, rec.status_detail = status, detail[:255]
            rec.retain_until = ended + timedelta(days=self.retention.days(rec.queue))
            if stored is not None:
                rec.stored_path, rec.size_bytes, rec.sha256 = stored.path, stored.size_bytes, stored.sha256
                rec.format, rec.duration_seconds = stored.format, stored.duration_seconds
                rec.stored_at = self.clock()
            span = await open_mute(s, rec.id)
            if span is not None:  # the call ended while muted: the recording ended the span
                span.resumed_at, span.auto_resumed = ended, True
                audit(s, SYSTEM, "recording", rec.id, "resume", None, {"reason": "call_ended"}, at=ended)
        return True

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
