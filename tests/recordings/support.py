"""Helpers for the recording tests: real WAV files, and calls made by the real call-record service."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from sqlalchemy import update

from crm_core.calls import CallRecordService
from crm_core.db import Database
from crm_core.events import CallAnswered, CallEnded, CallOffered, CallQueued
from crm_core.models import User
from crm_core.users import UserService

T0 = 1_790_000_000.0  # a fixed call time (2026-09-21 UTC)


def make_wav(path: Path, seconds: float, rate: int = 8000) -> bytes:
    """A 16-bit mono PCM tone like Asterisk's MixMonitor writes; returns the file's bytes."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path.read_bytes()


async def make_user(
    db: Database, login: str, role: str, team: str | None, interface: str | None = None
) -> User:
    view = await UserService(db).create(login, "pw-for-tests", login, role=role, interface=interface)
    async with db.write() as s:
        await s.execute(update(User).where(User.id == view.id).values(team=team))
    return view  # type: ignore[return-value]  # UserView has id and role, all an Actor needs


def ended(
    call_id: str, agent: str | None, queue: str = "support", pbx: str = "test", talk: float = 30.0
) -> CallEnded:
    return CallEnded(
        pbx=pbx, call_id=call_id, outcome="answered" if agent else "abandoned", caller_number="13912345678",
        caller_name="", queue=queue, agent=agent, at=T0 + 10 + talk, queued_at=T0,
        answered_at=T0 + 10 if agent else None, wait_seconds=10, talk_seconds=talk if agent else 0,
        agents=(agent,) if agent else (),
    )  # fmt: skip


async def answered_call(
    db: Database, call_id: str, agent: str, queue: str = "support", end: bool = True
) -> CallEnded:
    """A queue call answered by agent, through the real call-record service."""
    calls = CallRecordService(db, "CN")
    await calls.handle(CallQueued("test", call_id, "13912345678", "", queue, 1, T0))
    await calls.handle(CallOffered("test", call_id, agent, "13912345678", "", queue, T0 + 5))
    await calls.handle(CallAnswered("test", call_id, agent, queue, "13912345678", T0 + 10, 10, 5))
    event = ended(call_id, agent, queue)
    if end:
        await calls.handle(event)
    return event
