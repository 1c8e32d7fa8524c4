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
from typing import Any

from sqlalchemy import select

from crm_core.audit.service import record as audit
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Actor, Clock, NotFound, utc_clock
from crm_core.events import CallEnded, SystemAlarm
from crm_core.models import CallRecord
from crm_core.ports import Telephony, TelephonyError
from crm_core.recording.access import may_hear
from crm_core.recording.models import RecordingMute
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

    async def state(self, pbx: str, call_id: str, actor: Actor) -> MuteState:
        async with self.db.write() as s:
            allowed = await self._authorize(s, pbx, call_id, actor, "mute_state")
            span = await self._span(s, pbx, call_id) if allowed else None
        if not allowed:
            raise NotFound("no such call")
        return self._state(span)

    async def mute(self, pbx: str, call_id: str, actor: Actor) -> MuteState:
        return await self._change(pbx, call_id, actor, muted=True)

    async def resume(self, pbx: str, call_id: str, actor: Actor) -> MuteState:
        return await self._change(pbx, call_id, actor, muted=False)

    async def _change(self, pbx: str, call_id: str, actor: Actor, muted: bool) -> MuteState:
        action = "mute" if muted else "resume"
        async with self.db.write() as s:
            allowed = await self._authorize(s, pbx, call_id, actor, action)
        if not allowed:
            raise NotFound("no such call")
        try:
            await self._ask_pbx(pbx, call_id, muted)
        except MuteUnconfirmed as exc:
            await self._audit_unconfirmed(pbx, call_id, actor, action, exc.code)
            raise
        span = await self._record(pbx, call_id, actor, muted, auto=False)
        if muted:
            self._arm(pbx, call_id)
        else:
            self._disarm((pbx, call_id))
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

    async def _authorize(self, s: Any, pbx: str, call_id: str, actor: Actor, action: str) -> bool:
        call_record_id = await s.scalar(
            select(CallRecord.id).where(CallRecord.pbx == pbx, CallRecord.call_id == call_id)
        )
        if call_record_id is not None and await may_hear(s, actor, call_record_id):
            return True
        audit(s, actor, "call_record", call_record_id or 0, f"{action}_refused", None, None)
        log.info("recording %s refused user=%s pbx=%s", action, actor.id, pbx)
        return False

    async def _span(self, s: Any, pbx: str, call_id: str) -> RecordingMute | None:
        rec = await get_or_create(s, pbx, call_id)
        return await open_mute(s, rec.id)

    def _state(self, span: RecordingMute | None) -> MuteState:
        if span is None or span.resumed_at is not None:
            return MuteState(False)
        return MuteState(True, span.muted_at, span.muted_at + timedelta(seconds=self.auto_resume_seconds))

    def _arm(self, pbx: str, call_id: str) -> None:
        key = (pbx, call_id)
        self._disarm(key)
        self._timers[key] = asyncio.create_task(self._auto_resume(key), name=f"auto-resume:{pbx}:{call_id}")

    def _disarm(self, key: Key) -> None:
        task = self._timers.pop(key, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _auto_resume(self, key: Key) -> None:
        await asyncio.sleep(self.auto_resume_seconds)
        self._timers.pop(key, None)
        pbx, call_id = key
        try:
            await self._ask_pbx(pbx, call_id, False)
            await self._record(pbx, call_id, SYSTEM, muted=False, auto=True)
        except MuteUnconfirmed as exc:
            await self._audit_unconfirmed(pbx, call_id, SYSTEM, "resume", exc.code)
            detail = f"recording stays muted: the PBX did not confirm the auto-resume ({exc.code})"
            self.publish(
                SystemAlarm("recordings", "resume_failed", detail, self.clock().timestamp(), pbx, call_id)
            )
        except Exception:
            log.exception("auto-resume failed pbx=%s call=%s", pbx, call_id)

    async def on_call_ended(self, event: CallEnded) -> None:
        """Bus subscriber: a finished call needs no resume (the ingest closes its span)."""
        self._disarm((event.pbx, event.call_id))

    async def stop(self) -> None:
        tasks = list(self._timers.values())
        self._timers.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
