"""Writing and reading the audit trail.

Services call `record` inside their own write transaction, so a change and its
audit row commit or roll back together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.access.rules import audit_condition, restricted
from crm_core.audit.models import AuditEntry
from crm_core.db import Database
from crm_core.domain_errors import Actor, Clock, utc_clock

_SKIP = {"updated_at"}


def snapshot(row: Any) -> dict[str, Any]:
    """The row's column values as JSON-ready data (times as ISO text)."""
    out: dict[str, Any] = {}
    for attr in inspect(row).mapper.column_attrs:
        if attr.key in _SKIP:
            continue
        value = getattr(row, attr.key)
        out[attr.key] = value.isoformat() if isinstance(value, datetime | date) else value
    return out


def record(
    s: AsyncSession,
    actor: Actor,
    entity: str,
    entity_id: int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime | None = None,
) -> None:
    """Add one audit row; only the fields that changed are kept when both sides are given."""
    if before is not None and after is not None:
        keys = [k for k in after if before.get(k) != after.get(k)]
        before = {k: before.get(k) for k in keys}
        after = {k: after[k] for k in keys}
    entry = AuditEntry(user_id=actor.id, entity=entity, entity_id=entity_id, action=action)
    entry.before, entry.after = before, after
    if at is not None:
        entry.at = at
    s.add(entry)


@dataclass(frozen=True, slots=True)
class AuditView:
    id: int
    at: datetime
    user_id: int | None
    entity: str
    entity_id: int
    action: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self.__slots__}, "at": self.at.isoformat()}


class AuditService:
    def __init__(self, db: Database, clock: Clock = utc_clock) -> None:
        self.db = db
        self.clock = clock

    async def list(
        self,
        entity: str | None = None,
        entity_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
        viewer: Actor | None = None,
    ) -> list[AuditView]:
        """Rows, oldest first; viewer: only rows about objects that user may see (crm_core.access)."""
        query = select(AuditEntry)
        if viewer is not None:
            query = restricted(query, audit_condition(viewer))
        if entity is not None:
            query = query.where(AuditEntry.entity == entity)
        if entity_id is not None:
            query = query.where(AuditEntry.entity_id == entity_id)
        async with self.db.read() as s:
            rows = await s.scalars(query.order_by(AuditEntry.id).limit(limit).offset(offset))
            return [
                AuditView(r.id, r.at, r.user_id, r.entity, r.entity_id, r.action, r.before, r.after)
                for r in rows
            ]

    async def note(
        self, actor: Actor, entity: str, entity_id: int, action: str, detail: dict[str, Any] | None = None
    ) -> None:
        """A row of its own, for what changes no data: sign-ins, failed sign-ins, refused accesses."""
        async with self.db.write() as s:
            record(s, actor, entity, entity_id, action, None, detail, at=self.clock())
