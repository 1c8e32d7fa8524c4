"""Who may hear a recording, and the audited door to its file.

Allowed: the agent(s) who answered the call, supervisors of one of those agents' team,
administrators. Everyone else is told the recording does not exist (so ids cannot be
probed), and the refusal goes to the audit trail like every playback and download.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.audit.service import record as audit
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Actor, NotFound
from crm_core.models import CallAgent, CallRecord, User
from crm_core.recording.models import Recording
from crm_core.recording.ports import FileStore
from crm_core.recording.rows import PUBLIC_ID, link, mutes_of

log = logging.getLogger(__name__)
CONTENT_TYPES = {"wav": "audio/wav", "wav49": "audio/wav", "gsm": "audio/x-gsm"}


@dataclass(frozen=True, slots=True)
class Media:
    """A stored file ready to stream."""

    public_id: str
    path: Path
    size_bytes: int
    content_type: str
    file_name: str


async def takers(s: AsyncSession, call_record_id: int) -> set[int]:
    """The users who answered the call."""
    rows = await s.scalars(
        select(CallAgent.agent_id).where(
            CallAgent.call_record_id == call_record_id, CallAgent.result == "answered"
        )
    )
    ids = {i for i in rows if i is not None}
    main = await s.scalar(select(CallRecord.agent_id).where(CallRecord.id == call_record_id))
    return ids | ({main} if main is not None else set())


async def may_hear(s: AsyncSession, actor: Actor, call_record_id: int | None) -> bool:
    if actor.role == "admin":
        return True
    if call_record_id is None or actor.id is None:
        return False
    answered = await takers(s, call_record_id)
    if actor.role == "agent":
        return actor.id in answered
    if actor.role != "supervisor" or not answered:
        return False
    team = await s.scalar(select(User.team).where(User.id == actor.id))
    teams = set(await s.scalars(select(User.team).where(User.id.in_(answered))))
    return team is not None and team in teams


class RecordingAccess:
    def __init__(self, db: Database, store: FileStore) -> None:
        self.db = db
        self.store = store

    async def open(self, public_id: str, actor: Actor, action: str, detail: str = "") -> Media:
        """The file for playback ("play") or download ("download"); audited either way."""
        # The audit rows must commit even when the answer is "no": raise only after the transaction.
        async with self.db.write() as s:
            rec = await self._allowed(s, public_id, actor, action)
            if rec is None:
                found = None
            elif rec.status != "stored" or not rec.stored_path:
                audit(s, actor, "recording", rec.id, f"{action}_unavailable", None, {"status": rec.status})
                found = None
            else:
                audit(s, actor, "recording", rec.id, action, None, {"range": detail[:64]})
                found = (rec.stored_path, rec.size_bytes or 0, rec.format)
        if found is None:
            raise NotFound("no such recording, or not playable")
        path, size, fmt = found
        name = f"recording-{public_id}.{'wav' if fmt.startswith('wav') else fmt}"
        return Media(public_id, self.store.locate(path), size, CONTENT_TYPES.get(fmt, "audio/wav"), name)

    async def describe(self, public_id: str, actor: Actor) -> dict[str, Any] | None:
        """Status, duration and muted spans, for the console and the customer timeline; None: refused.

        A read: only a refusal is written (to the audit trail), in its own short transaction.
        """
        async with self.db.read() as s:
            rec = await self._may(s, public_id, actor)
            info = None if rec is None else _describe(rec, await mutes_of(s, rec.id))
        if info is None:
            await self._refuse(public_id, actor, "view")
        return info

    async def mark_corrupt(self, public_id: str, detail: str) -> None:
        """The stored file no longer matches its row (e.g. truncated): stop serving it until verified."""
        async with self.db.write() as s:
            rec = await s.scalar(select(Recording).where(Recording.public_id == public_id))
            if rec is None or rec.status != "stored":
                return
            audit(s, SYSTEM, "recording", rec.id, "verify", {"status": rec.status}, {"status": "corrupt"})
            rec.status, rec.status_detail = "corrupt", detail[:255]
        log.error("recording %s marked corrupt: %s", public_id, detail)

    async def _may(self, s: AsyncSession, public_id: str, actor: Actor) -> Recording | None:
        """The recording when actor may hear it (nothing is written)."""
        rec = None
        if PUBLIC_ID.fullmatch(public_id):
            rec = await s.scalar(select(Recording).where(Recording.public_id == public_id))
        if rec is not None:
            await link(s, rec)
        if rec is None or not await may_hear(s, actor, rec.call_record_id):
            return None
        return rec

    async def _refuse(self, public_id: str, actor: Actor, action: str) -> None:
        async with self.db.write() as s:
            self._audit_refusal(s, await self._by_public_id(s, public_id), actor, action)

    async def _allowed(self, s: AsyncSession, public_id: str, actor: Actor, action: str) -> Recording | None:
        """The recording when actor may hear it; else None, with the refusal added to the audit."""
        rec = await self._may(s, public_id, actor)
        if rec is None:
            self._audit_refusal(s, await self._by_public_id(s, public_id), actor, action)
        return rec

    async def _by_public_id(self, s: AsyncSession, public_id: str) -> Recording | None:
        if not PUBLIC_ID.fullmatch(public_id):
            return None
        return await s.scalar(select(Recording).where(Recording.public_id == public_id))

    def _audit_refusal(self, s: AsyncSession, rec: Recording | None, actor: Actor, action: str) -> None:
        audit(s, actor, "recording", rec.id if rec else 0, "access_refused", None, {"wanted": action})
        log.info("recording access refused user=%s action=%s known=%s", actor.id, action, rec is not None)


def _describe(rec: Recording, spans: list[Any]) -> dict[str, Any]:
    return {
        "id": rec.public_id,
        "status": rec.status,
        "status_detail": rec.status_detail,
        "format": rec.format,
        "duration_seconds": rec.duration_seconds,
        "size_bytes": rec.size_bytes,
        "started_at": rec.started_at.isoformat() if rec.started_at else None,
        "ended_at": rec.ended_at.isoformat() if rec.ended_at else None,
        "muted": [_span(m, rec) for m in spans],
    }


def _span(m: Any, rec: Recording) -> dict[str, Any]:
    start = rec.started_at
    return {
        "muted_at": m.muted_at.isoformat(),
        "resumed_at": m.resumed_at.isoformat() if m.resumed_at else None,
        "auto_resumed": m.auto_resumed,
        "offset_seconds": (m.muted_at - start).total_seconds() if start else None,
    }
