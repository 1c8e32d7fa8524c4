"""Server-side login sessions: the browser holds a random token, the database only its hash.

Logging out deletes the row, so a copied cookie dies with the session.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from crm_core.db import Database
from crm_core.domain_errors import Clock, utc_clock
from crm_core.models import WebSession


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices small enough for one IN (...) on every engine."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


class SessionService:
    def __init__(
        self, db: Database, idle_timeout: timedelta, absolute_timeout: timedelta, clock: Clock = utc_clock
    ) -> None:
        self.db = db
        self.idle = idle_timeout
        self.absolute = absolute_timeout
        self.clock = clock
        # Activity is written at most this often (not every request), but often enough that a
        # short idle time-out never ends a session in use.
        self.touch_every = min(timedelta(seconds=60), idle_timeout / 4)

    async def open(self, user_id: int) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        async with self.db.write() as s:
            # Sweep expired sessions at each sign-in, so the table never grows without bound.
            expired = (WebSession.last_seen_at < now - self.idle) | (
                WebSession.created_at < now - self.absolute
            )
            await s.execute(delete(WebSession).where(expired))
            s.add(WebSession(id=_digest(token), user_id=user_id, created_at=now, last_seen_at=now))
        return token

    async def close_all_of(self, user_id: int) -> None:
        """End every session of a user (deactivation, password change)."""
        async with self.db.write() as s:
            await s.execute(delete(WebSession).where(WebSession.user_id == user_id))

    async def resolve(self, token: str | None) -> int | None:
        """The user behind a live session token, refreshing its idle clock; None when expired or unknown."""
        if not token:
            return None
        return (await self.resolve_many({token})).get(token)

    async def resolve_many(self, tokens: set[str]) -> dict[str, int]:
        """The live sessions' user ids by token (open sockets check all theirs at once): one read per
        500 tokens, and one write that refreshes the idle clocks due and deletes the expired."""
        now = self.clock()
        by_digest = {_digest(t): t for t in tokens if t}
        columns = select(WebSession.id, WebSession.user_id, WebSession.created_at, WebSession.last_seen_at)
        rows: list[Any] = []
        async with self.db.read() as s:
            for chunk in _chunks(list(by_digest)):
                rows.extend(await s.execute(columns.where(WebSession.id.in_(chunk))))
        live: dict[str, int] = {}
        expired: list[str] = []
        due: list[str] = []
        for digest, user_id, created_at, last_seen_at in rows:
            if now - last_seen_at > self.idle or now - created_at > self.absolute:
                expired.append(digest)
                continue
            live[by_digest[digest]] = user_id
            if now - last_seen_at > self.touch_every:
                due.append(digest)
        if expired or due:
            async with self.db.write() as s:
                for chunk in _chunks(expired):
                    await s.execute(delete(WebSession).where(WebSession.id.in_(chunk)))
                for chunk in _chunks(due):
                    touch = update(WebSession).where(WebSession.id.in_(chunk)).values(last_seen_at=now)
                    await s.execute(touch)
        return live

    async def close(self, token: str) -> None:
        async with self.db.write() as s:
            await s.execute(delete(WebSession).where(WebSession.id == _digest(token)))
