"""The do-not-call list as managed by supervisors (callbacks and campaigns both obey it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crm_core.audit.service import record
from crm_core.callbacks.models import DoNotCall
from crm_core.domain_errors import Actor, Clock, Conflict, Invalid, NotFound, utc_clock


class DoNotCallList:
    def __init__(self, db: Any, customers: Any, clock: Clock = utc_clock) -> None:
        self.db = db
        self.customers = customers
        self.clock = clock

    async def search(self, q: str = "", limit: int = 100) -> list[dict[str, Any]]:
        query = select(DoNotCall).order_by(DoNotCall.created_at.desc()).limit(limit)
        digits = "".join(c for c in q if c.isdigit())
        if digits:
            query = query.where(DoNotCall.e164.contains(digits))
        async with self.db.read() as s:
            return [_json(r) for r in await s.scalars(query)]

    async def add(self, number: str, reason: str, actor: Actor) -> dict[str, Any]:
        key = self.customers.number_key(number if isinstance(number, str) else "")
        if not isinstance(reason, str) or len(reason) > 200:
            raise Invalid("reason", "at most 200 characters")
        async with self.db.write() as s:
            if await s.get(DoNotCall, key) is not None:
                raise Conflict(f"{key} is already on the do-not-call list")
            row = DoNotCall(e164=key, reason=reason, created_by=actor.id, created_at=self.clock())
            s.add(row)
            record(s, actor, "do_not_call", 0, "add", None, {"number": key, "reason": reason}, row.created_at)
            return _json(row)

    async def remove(self, number: str, actor: Actor) -> None:
        key = self.customers.normalize(number)
        async with self.db.write() as s:
            row = await s.get(DoNotCall, key) if key else None
            if row is None:
                raise NotFound(f"{number[:40]!r} is not on the do-not-call list")
            await s.delete(row)
            record(
                s,
                actor,
                "do_not_call",
                0,
                "remove",
                {"number": key, "reason": row.reason},
                None,
                self.clock(),
            )


def _json(row: DoNotCall) -> dict[str, Any]:
    return {"number": row.e164, "reason": row.reason, "created_at": row.created_at.isoformat()}
