"""Finding and creating recording rows, shared by ingest, playback and mute."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.models import CallRecord
from crm_core.recording.models import Recording, RecordingMute

PUBLIC_ID = re.compile(r"[0-9a-f]{32}")
SAFE_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")  # PBX names and Linkedids


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


async def open_mute(s: AsyncSession, recording_id: int) -> RecordingMute | None:
    return await s.scalar(
        select(RecordingMute)
        .where(RecordingMute.recording_id == recording_id, RecordingMute.resumed_at.is_(None))
        .order_by(RecordingMute.id.desc())
        .limit(1)
    )


async def mutes_of(s: AsyncSession, recording_id: int) -> list[RecordingMute]:
    rows = await s.scalars(
        select(RecordingMute).where(RecordingMute.recording_id == recording_id).order_by(RecordingMute.id)
    )
    return list(rows)
