"""Pausing a call's recording while the caller reads out card data.

A mute counts only when the PBX confirmed it (the MixMonitorMute action's Success):
then a span opens on the recording, the audit trail gets it, and a timer resumes the
recording after auto_resume_seconds in case the agent forgets. A mute the PBX did not
confirm leaves the state "not muted" and raises MuteUnconfirmed for the UI to show.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import select

from crm_core.audit.service import record as audit
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Actor, Clock, NotFound, utc_clock
from crm_core.events import CallEnded, SystemAlarm
from crm_core.models import CallRecord
from crm_core.ports import Telephony, TelephonyError
from crm_core.recording.access import may_hear
from crm_core.recording.models import Recording, RecordingMute
from crm_core.recording.rows import get_or_create, open_mute

log = logging.getLogger(__name__)
Key = tuple[str, str]


class MuteUnconfirmed(Exception):
    """The PBX did not confirm; code is the TelephonyError code ("timeout", "not_connected", …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class MuteState:
    muted: bool
    since: datetime | None = None
    resumes_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "muted": self.muted,
            "since": self.since.isoformat() if self.since else None,
            "resumes_at": self.resumes_at.isoformat() if self.resumes_at else None,
        }


class MuteController:
    def __init__(
        self,
        db: Database,
        telephony: Mapping[str, Telephony],
        publish: Callable[[Any], None],
        auto_resume_seconds: float = 120.0,
        confirm_timeout: float = 5.0,
        clock: Clock = utc_clock,
    ) -> None:
        self.db = db
        self.telephony = telephony
        self.publish = publish
        self.auto_resume_seconds = auto_resume_seconds
        self.confirm_timeout = confirm_timeout
        self.clock = clock
        self._timers: dict[Key, asyncio.Task[None]] = {}
        self._locks: dict[Key, asyncio.Lock] = {}

    async def start(self) -> None:
        """Re-arm the auto-resume of spans a restart left open: a forgotten mute must still end."""
        async with self.db.read() as s:
            rows = await s.execute(
                select(Recording.pbx, Recording.call_id, RecordingMute.id, RecordingMute.muted_at)
                .join(Recording, Recording.id == RecordingMute.recording_id)
                .where(RecordingMute.resumed_at.is_(None), Recording.status == "pending")
            )
            spans = list(rows)
        now = self.clock()
        for pbx, call_id, span_id, muted_at in spans:
            due = muted_at + timedelta(seconds=self.auto_resume_seconds) - now
            self._arm((pbx, call_id), span_id, max(0.0, due.total_seconds()))

    async def state(self, pbx: str, call_id: str, actor: Actor) -> MuteState:
        """A read: it creates no rows (only a refusal is written, to the audit trail)."""
        async with self.db.read() as s:
            allowed = await self._may(s, pbx, call_id, actor)
            span = await self._open_span(s, pbx, call_id) if allowed else None
        if not allowed:
            await self._refuse(pbx, call_id, actor, "mute_state")
        return self._state(span)

    async def mute(self, pbx: str, call_id: str, actor: Actor) -> MuteState:
        return await self._change(pbx, call_id, actor, muted=True)

    async def resume(self, pbx: str, call_id: str, actor: Actor) -> MuteState:
        return await self._change(pbx, call_id, actor, muted=False)

    async def _change(self, pbx: str, call_id: str, actor: Actor, muted: bool) -> MuteState:
        """One change per call at a time (the lock), so a timer can never close a newer span."""
        action = "mute" if muted else "resume"
        key = (pbx, call_id)
        async with self.db.read() as s:
            allowed = await self._may(s, pbx, call_id, actor)
        if not allowed:
            await self._refuse(pbx, call_id, actor, action)
        async with self._lock(key):
            try:
                await self._ask_pbx(pbx, call_id, muted)
            except MuteUnconfirmed as exc:
                await self._audit_unconfirmed(pbx, call_id, actor, action, exc.code)
                if muted and exc.code == "timeout":  # the PBX may have muted anyway: resuming is harmless
                    self._arm(key, await self._open_span_id(pbx, call_id), self.auto_resume_seconds)
                raise
            span = await self._record(pbx, call_id, actor, muted, auto=False)
            if muted and span is not None:
                self._arm(key, span.id, self.auto_resume_seconds)
            else:
                self._disarm(key)
        return self._state(span if muted else None)

    async def _ask_pbx(self, pbx: str, call_id: str, muted: bool) -> None:
        link = self.telephony.get(pbx)
        if link is None:
            raise MuteUnconfirmed("not_connected", f"no link to pbx {pbx}")
        try:
            await asyncio.wait_for(link.recording_mute(call_id, muted), self.confirm_timeout)
        except TelephonyError as exc:
            raise MuteUnconfirmed(exc.code, str(exc)) from None
        except TimeoutError:
            raise MuteUnconfirmed("timeout", "the PBX did not answer in time") from None

    async def _record(
        self, pbx: str, call_id: str, actor: Actor, muted: bool, auto: bool
    ) -> RecordingMute | None:
        """Write the confirmed change: open a span on mute, close the open one on resume."""
        now = self.clock()
        async with self.db.write() as s:
            rec = await get_or_create(s, pbx, call_id)
            span = await open_mute(s, rec.id)
            if muted and span is None:
                span = RecordingMute(recording_id=rec.id, muted_at=now, muted_by=actor.id)
                s.add(span)
                await s.flush()
            elif not muted and span is not None:
                span.resumed_at, span.resumed_by, span.auto_resumed = now, actor.id, auto
            audit(s, actor, "recording", rec.id, "mute" if muted else "resume", None,
                  {"confirmed": True, "auto": auto, "span": span.id if span else None})  # fmt: skip
            return span

    async def _audit_unconfirmed(self, pbx: str, call_id: str, actor: Actor, action: str, code: str) -> None:
        async with self.db.write() as s:
            rec = await get_or_create(s, pbx, call_id)
            audit(s, actor, "recording", rec.id, f"{action}_unconfirmed", None, {"code": code})
        log.warning("recording %s unconfirmed pbx=%s call=%s code=%s", action, pbx, call_id, code)

    async def _may(self, s: Any, pbx: str, call_id: str, actor: Actor) -> bool:
        call_record_id = await s.scalar(
            select(CallRecord.id).where(CallRecord.pbx == pbx, CallRecord.call_id == call_id)
        )
        return call_record_id is not None and await may_hear(s, actor, call_record_id)

    async def _refuse(self, pbx: str, call_id: str, actor: Actor, action: str) -> NoReturn:
        """Audit the refusal, then answer "no such call" (ids cannot be probed)."""
        async with self.db.write() as s:
            call_record_id = await s.scalar(
                select(CallRecord.id).where(CallRecord.pbx == pbx, CallRecord.call_id == call_id)
            )
            audit(s, actor, "call_record", call_record_id or 0, f"{action}_refused", None, None)
        log.info("recording %s refused user=%s pbx=%s", action, actor.id, pbx)
        raise NotFound("no such call")

    async def _open_span(self, s: Any, pbx: str, call_id: str) -> RecordingMute | None:
        rec_id = await s.scalar(
            select(Recording.id).where(Recording.pbx == pbx, Recording.call_id == call_id)
        )
        return None if rec_id is None else await open_mute(s, rec_id)

    async def _open_span_id(self, pbx: str, call_id: str) -> int | None:
        async with self.db.read() as s:
            span = await self._open_span(s, pbx, call_id)
            return span.id if span else None

    def _state(self, span: RecordingMute | None) -> MuteState:
        if span is None or span.resumed_at is not None:
            return MuteState(False)
        return MuteState(True, span.muted_at, span.muted_at + timedelta(seconds=self.auto_resume_seconds))

    def _lock(self, key: Key) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def _arm(self, key: Key, span_id: int | None, delay: float) -> None:
        """Resume after delay, but only span_id (None: a mute the PBX may have applied unconfirmed)."""
        self._disarm(key)
        name = f"auto-resume:{key[0]}:{key[1]}"
        self._timers[key] = asyncio.create_task(self._auto_resume(key, span_id, delay), name=name)

    def _disarm(self, key: Key) -> None:
        task = self._timers.pop(key, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _auto_resume(self, key: Key, span_id: int | None, delay: float) -> None:
        await asyncio.sleep(delay)
        pbx, call_id = key
        async with self._lock(key):
            try:
                if await self._open_span_id(pbx, call_id) != span_id:
                    return  # resumed, or replaced by a newer mute with its own timer
                await self._ask_pbx(pbx, call_id, False)
                await self._record(pbx, call_id, SYSTEM, muted=False, auto=True)
            except MuteUnconfirmed as exc:
                await self._resume_failed(pbx, call_id, exc.code)
            except Exception:
                log.exception("auto-resume failed pbx=%s call=%s", pbx, call_id)
            finally:
                if self._timers.get(key) is asyncio.current_task():
                    del self._timers[key]

    async def _resume_failed(self, pbx: str, call_id: str, code: str) -> None:
        await self._audit_unconfirmed(pbx, call_id, SYSTEM, "resume", code)
        detail = f"recording stays muted: the PBX did not confirm the auto-resume ({code})"
        self.publish(
            SystemAlarm("recordings", "resume_failed", detail, self.clock().timestamp(), pbx, call_id)
        )

    async def on_call_ended(self, event: CallEnded) -> None:
        """Bus subscriber: a finished call needs no resume (the ingest closes its span)."""
        key = (event.pbx, event.call_id)
        self._disarm(key)
        lock = self._locks.get(key)
        if lock is not None and not lock.locked():
            del self._locks[key]

    async def stop(self) -> None:
        tasks = list(self._timers.values())
        self._timers.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
