"""Export one customer, or erase them: what the admin API and the CLI call.

Both are idempotent. A second export of unchanged data gives the same bytes (its own audit rows
are not part of it). A second erasure finds the tombstone, sweeps again (nothing is left to
change) and answers exactly what the first did, with no second audit entry.
Recording files go through the FileStore port after the rows are changed (see `erase`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.audit.service import record
from crm_core.data_rights.collect import EXPORT_ACTION, collect
from crm_core.data_rights.erase import anonymise
from crm_core.data_rights.export import MediaFile, write_zip
from crm_core.data_rights.footprint import Footprint, trace
from crm_core.data_rights.models import Erasure
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Actor, Clock, Conflict, NotFound, utc_clock
from crm_core.models import Customer, User
from crm_core.recording.models import Recording
from crm_core.recording.ports import FileStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    files: list[dict[str, Any]]  # the manifest: path, size, sha256


def erasure_json(row: Erasure) -> dict[str, Any]:
    return {
        "customer_id": row.customer_id,
        "erased_at": row.erased_at.isoformat(),
        "erased_by": row.erased_by,
        "counts": row.counts or {},
    }


class DataRights:
    def __init__(self, db: Database, store: FileStore, clock: Clock = utc_clock) -> None:
        self.db, self.store, self.clock = db, store, clock

    async def export(self, customer_id: int, folder: Path, actor: Actor) -> ExportResult:
        """Write `customer-<id>.zip` into folder (replacing an earlier one); audited as data_export."""
        async with self.db.read() as s:
            customer, _ = await self._subject(s, customer_id, refuse_erased=True)
            assert customer is not None  # no tombstone (refused above), so the row is there
            fp = await trace(s, customer)
            document = await collect(s, customer, fp)
            stored = await self._stored(s, fp)
        media = [MediaFile(f"recordings/{pid}.{fmt}", self.store.locate(path)) for pid, path, fmt in stored]
        target = folder / f"customer-{customer_id}.zip"
        files = await asyncio.to_thread(write_zip, target, document, media)
        async with self.db.write() as s:
            record(
                s, actor, "customer", customer_id, EXPORT_ACTION, None, {"files": len(files)}, at=self.clock()
            )
        log.info("customer exported customer=%s files=%d", customer_id, len(files))
        return ExportResult(target, files)

    async def erase(self, customer_id: int, actor: Actor) -> dict[str, Any]:
        """Anonymise the customer and everything attached; the tombstone's view, the same every time.

        Two phases: one write transaction anonymises the rows, marks the recordings purged (their
        paths kept) and leaves the tombstone; after its commit the files go and a small second
        transaction forgets their paths. A failure in between leaves rows that still name the
        files, and a re-run finishes the job; a file is never deleted for rows that still say stored.
        """
        now = self.clock()
        try:
            async with self.db.write() as s:
                customer, tomb = await self._subject(s, customer_id, refuse_erased=False)
                if customer is None:  # the row was purged after its erasure: the tombstone answers
                    return erasure_json(tomb)  # type: ignore[arg-type]
                fp = await trace(s, customer)
                counts = await anonymise(s, fp, actor.id, now)
                doomed = await self._doomed(s, fp)
                if tomb is None:
                    counts["recording_files"] = len([p for _, p, _ in doomed if p])
                    tomb = Erasure(customer_id=customer_id, erased_at=now, erased_by=actor.id, counts=counts)
                    s.add(tomb)
                    record(s, actor, "customer", customer_id, "erase", None, {"counts": counts}, at=now)
                view = erasure_json(tomb)
        except IntegrityError:  # another erasure of the same customer committed first (PostgreSQL)
            again = await self.erasure(customer_id)
            if again is None:
                raise
            return again
        removed = await self._remove_files(doomed)
        log.info("customer erased customer=%s files_removed=%d", customer_id, removed)
        return view

    async def reapply(self, tombs: list[dict[str, Any]]) -> int:
        """After a restore: erase again everyone an earlier tombstone names (tombstone kept as it was)."""
        done = 0
        for tomb in tombs:
            cid = tomb["customer_id"]
            async with self.db.write() as s:
                if await s.scalar(select(Erasure.id).where(Erasure.customer_id == cid)) is None:
                    by = tomb.get("erased_by")
                    known = by is not None and await s.get(User, by) is not None
                    at, counts = _at(tomb["erased_at"]), tomb.get("counts")
                    s.add(
                        Erasure(customer_id=cid, erased_at=at, erased_by=by if known else None, counts=counts)
                    )
                    record(s, SYSTEM, "customer", cid, "erase_reapplied", None, None)
            await self.erase(cid, SYSTEM)  # with its tombstone: never NotFound
            done += 1
        return done

    async def erasure(self, customer_id: int) -> dict[str, Any] | None:
        async with self.db.read() as s:
            tomb = await s.scalar(select(Erasure).where(Erasure.customer_id == customer_id))
            return erasure_json(tomb) if tomb is not None else None

    @staticmethod
    async def _subject(
        s: AsyncSession, customer_id: int, refuse_erased: bool
    ) -> tuple[Customer | None, Erasure | None]:
        """The customer and their tombstone; None for a row purged after its erasure."""
        tomb = await s.scalar(select(Erasure).where(Erasure.customer_id == customer_id))
        if tomb is not None and refuse_erased:
            raise Conflict(f"customer {customer_id} was erased")
        customer = await s.get(Customer, customer_id)
        if customer is None and tomb is None:
            raise NotFound(f"no customer {customer_id}")
        return customer, tomb

    @staticmethod
    async def _stored(s: AsyncSession, fp: Footprint) -> list[tuple[str, str, str]]:
        """(public id, store path, format) of the customer's recordings that have a file."""
        rows = await s.execute(
            select(Recording.public_id, Recording.stored_path, Recording.format)
            .where(Recording.id.in_(fp.recordings), Recording.stored_path.is_not(None))
            .order_by(Recording.id)
        )
        return [(pid, path, fmt) for pid, path, fmt in rows if path]

    @staticmethod
    async def _doomed(s: AsyncSession, fp: Footprint) -> list[tuple[int, str | None, list[str]]]:
        """(id, store path, spool names) of the erased recordings, read in the erasing transaction."""
        rows = await s.execute(
            select(
                Recording.id,
                Recording.stored_path,
                Recording.pbx,
                Recording.call_id,
                Recording.format,
                Recording.source_name,
            )
            .where(Recording.id.in_(fp.recordings), Recording.status == "purged")
            .order_by(Recording.id)
        )
        return [
            (rid, path, sorted({n for n in (source, f"{pbx}-{call_id}.{fmt}") if n}))
            for rid, path, pbx, call_id, fmt, source in rows
        ]

    async def _remove_files(self, doomed: list[tuple[int, str | None, list[str]]]) -> int:
        """Delete the files (and spool copies a pending recording would have taken), then forget the paths."""
        removed, gone = 0, []
        for rid, path, spool_names in doomed:
            try:
                for name in spool_names:
                    await self.store.discard(name)
                if path:
                    removed += await self.store.remove(path)
                    gone.append(rid)
            except (OSError, ValueError):  # kept: the row still names the file, a re-run removes it
                log.warning("erased recording file not removed id=%s", rid, exc_info=True)
        if gone:
            async with self.db.write() as s:
                await s.execute(
                    update(Recording)
                    .where(Recording.id.in_(gone), Recording.status == "purged")
                    .values(stored_path=None),
                    execution_options={"synchronize_session": False},
                )
        return removed


def _at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
