"""Finding and creating recording rows, shared by ingest, playback and mute."""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.models import CallRecord
from crm_core.recording.models import Recording, RecordingMute

PUBLIC_ID = re.compile(r"[0-9a-f]{32}")
SAFE_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")  # PBX names and Linkedids
Key = tuple[str, str]  # (pbx, call id)


def ts(at: float | None) -> datetime | None:
    return None if at is None else datetime.fromtimestamp(at, UTC)


def new_public_id() -> str:
    """Opaque, unguessable: URLs never reveal call ids, row ids or counts."""
    return secrets.token_hex(16)


async def get_or_create(s: AsyncSession, pbx: str, call_id: str) -> Recording:
    """The call's recording row (a pending one when the file is not in yet), linked when possible."""
    rec = await s.scalar(
        select(Recording).where(Recording.pbx == pbx, Recording.call_id == call_id).with_for_update()
    )
    if rec is None:
        rec = Recording(pbx=pbx, call_id=call_id, public_id=new_public_id(), status="pending")
        s.add(rec)
    await link(s, rec)
    await s.flush()
    return rec


async def link(s: AsyncSession, rec: Recording) -> None:
    """Attach the call record and its customer (the call record may appear after the recording)."""
    if rec.call_record_id is not None:
        return
    call = await s.scalar(
        select(CallRecord).where(CallRecord.pbx == rec.pbx, CallRecord.call_id == rec.call_id)
    )
    if call is not None:
        rec.call_record_id, rec.customer_id = call.id, call.customer_id
        rec.queue = rec.queue or call.queue


def keys_clause(pbx: Any, call_id: Any, keys: Collection[Key]) -> ColumnElement[bool]:
    """(pbx, call_id) in keys, written so the (pbx, call_id) unique index serves it on both databases
    (SQLite scans the whole table for a row-value IN)."""
    by_pbx: dict[str, set[str]] = defaultdict(set)
    for p, c in keys:
        by_pbx[p].add(c)
    return or_(*(and_(pbx == p, call_id.in_(sorted(ids))) for p, ids in sorted(by_pbx.items())))


async def statuses(s: AsyncSession, keys: Collection[Key]) -> dict[Key, str]:
    """The status of each key's recording row, for the keys that have one (one statement)."""
    rows = await s.execute(
        select(Recording.pbx, Recording.call_id, Recording.status).where(
            keys_clause(Recording.pbx, Recording.call_id, keys)
        )
    )
    return {(p, c): status for p, c, status in rows}


async def rows_for_update(s: AsyncSession, keys: Collection[Key]) -> dict[Key, Recording]:
    """The keys' existing rows, locked (in id order, so two writers never deadlock on them)."""
    rows = await s.scalars(
        select(Recording)
        .where(keys_clause(Recording.pbx, Recording.call_id, keys))
        .order_by(Recording.id)
        .with_for_update()
    )
    return {(rec.pbx, rec.call_id): rec for rec in rows}


async def link_all(s: AsyncSession, recs: Collection[Recording]) -> None:
    """link() for many rows: the call records of those not linked yet, read in one statement."""
    unlinked = {(rec.pbx, rec.call_id): rec for rec in recs if rec.call_record_id is None}
    if not unlinked:
        return
    calls = await s.execute(
        select(CallRecord.pbx, CallRecord.call_id, CallRecord.id, CallRecord.customer_id, CallRecord.queue)
        .where(keys_clause(CallRecord.pbx, CallRecord.call_id, unlinked))
    )  # fmt: skip
    for pbx, call_id, call_record_id, customer_id, queue in calls:
        rec = unlinked.get((pbx, call_id))
        if rec is not None:
            rec.call_record_id, rec.customer_id = call_record_id, customer_id
            rec.queue = rec.queue or queue


async def open_mute(s: AsyncSession, recording_id: int) -> RecordingMute | None:
    return await s.scalar(
        select(RecordingMute)
        .where(RecordingMute.recording_id == recording_id, RecordingMute.resumed_at.is_(None))
        .order_by(RecordingMute.id.desc())
        .limit(1)
    )


async def insert_new(s: AsyncSession, recs: Collection[Recording]) -> None:
    """Insert rows built but never added to the session in one executemany: the ORM would insert
    them one statement each (it reads every new id back), and nobody needs their ids here."""
    if recs:
        columns = [attr.key for attr in inspect(Recording).column_attrs]
        values = [{k: rec.__dict__[k] for k in columns if k in rec.__dict__} for rec in recs]  # those set
        await s.execute(insert(Recording), values)


async def open_mutes(s: AsyncSession, recording_ids: Collection[int]) -> dict[int, RecordingMute]:
    """open_mute() for many rows in one statement: each row's latest span not resumed yet."""
    if not recording_ids:
        return {}
    rows = await s.scalars(
        select(RecordingMute)
        .where(RecordingMute.recording_id.in_(sorted(recording_ids)), RecordingMute.resumed_at.is_(None))
        .order_by(RecordingMute.id.desc())
    )
    latest: dict[int, RecordingMute] = {}
    for span in rows:
        latest.setdefault(span.recording_id, span)
    return latest


async def mutes_of(s: AsyncSession, recording_id: int) -> list[RecordingMute]:
    rows = await s.scalars(
        select(RecordingMute).where(RecordingMute.recording_id == recording_id).order_by(RecordingMute.id)
    )
    return list(rows)
