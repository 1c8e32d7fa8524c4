"""Server-side sessions: idle and absolute time-outs, and expired rows swept at sign-in."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from crm_core.db import Database
from crm_core.models import WebSession
from crm_core.sessions import SessionService
from crm_core.users import UserService


def _row_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # the table keeps only this hash


async def test_idle_and_absolute_timeouts_end_sessions_and_sign_in_sweeps_them(db: Database) -> None:
    user = await UserService(db).create("agent", "pw", "Agent")
    sessions = SessionService(db, idle_timeout=timedelta(minutes=30), absolute_timeout=timedelta(hours=8))
    idle, old, fresh = [await sessions.open(user.id) for _ in range(3)]
    assert [await sessions.resolve(t) for t in (idle, old, fresh)] == [user.id] * 3

    now = datetime.now(UTC)
    async with db.write() as s:
        hour_ago, nine_hours_ago = now - timedelta(hours=1), now - timedelta(hours=9)
        await s.execute(
            update(WebSession).where(WebSession.id == _row_id(idle)).values(last_seen_at=hour_ago)
        )
        await s.execute(
            update(WebSession).where(WebSession.id == _row_id(old)).values(created_at=nine_hours_ago)
        )
    assert [await sessions.resolve(t) for t in (idle, old, fresh)] == [None, None, user.id]

    async with db.write() as s:  # expired rows that nobody presents again
        await s.execute(
            update(WebSession).where(WebSession.id == _row_id(fresh)).values(created_at=nine_hours_ago)
        )
    await sessions.open(user.id)
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(WebSession)) == 1  # only the new one
    await sessions.close_all_of(user.id)
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(WebSession)) == 0
