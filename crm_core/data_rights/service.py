"""Export one customer, or erase them: what the admin API and the CLI call.

Both are idempotent. A second export of unchanged data gives the same bytes (its own audit rows
are not part of it). A second erasure finds the tombstone, sweeps again (nothing is left to
change) and answers exactly what the first did, with no second audit entry.
Recording files go through the FileStore port, before the rows are changed: a crash in
between leaves rows that a re-run completes, never a file nobody points at.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.audit.service import record
from crm_core.data_rights.collect import EXPORT_ACTION, collect
from crm_core.data_rights.erase import anonymise
from crm_core.data_rights.export import MediaFile, write_zip
from crm_core.data_rights.footprint import Footprint, trace
from crm_core.data_rights.models import Erasure
from crm_core.db import Database
from crm_core.domain_errors import Actor, Clock, Conflict, NotFound, utc_clock
from crm_core.models import Customer
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
        """Anonymise the customer and everything attached; the tombstone's view, the same every time."""
        async with self.db.read() as s:
            customer, _ = await self._subject(s, customer_id, refuse_erased=False)
            paths = [path for _, path, _ in await self._stored(s, await trace(s, customer))]
        removed = sum([await self.store.remove(p) for p in paths])
        now = self.clock()
        async with self.db.write() as s:
            customer, tomb = await self._subject(s, customer_id, refuse_erased=False)
            counts = await anonymise(s, await trace(s, customer), actor.id, now)
            if tomb is None:
                counts["recording_files"] = removed
                tomb = Erasure(customer_id=customer_id, erased_at=now, erased_by=actor.id, counts=counts)
                s.add(tomb)
                record(s, actor, "customer", customer_id, "erase", None, {"counts": counts}, at=now)
            view = erasure_json(tomb)
        log.info("customer erased customer=%s files_removed=%d", customer_id, removed)
        return view

    async def erasure(self, customer_id: int) -> dict[str, Any] | None:
        async with self.db.read() as s:
            tomb = await s.scalar(select(Erasure).where(Erasure.customer_id == customer_id))
            return erasure_json(tomb) if tomb is not None else None

    @staticmethod
    async def _subject(
        s: AsyncSession, customer_id: int, refuse_erased: bool
    ) -> tuple[Customer, Erasure | None]:
        tomb = await s.scalar(select(Erasure).where(Erasure.customer_id == customer_id))
        if tomb is not None and refuse_erased:
            raise Conflict(f"customer {customer_id} was erased")
        customer = await s.get(Customer, customer_id)
        if customer is None:
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
