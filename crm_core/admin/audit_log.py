"""Reading the audit trail the way an administrator searches it: by entity, user and dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from crm_core.admin.checks import FieldError
from crm_core.admin.views import AuditRow
from crm_core.audit.models import AuditEntry
from crm_core.db import Database
from crm_core.models import User


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def search(
        self,
        entity: str | None = None,
        entity_id: int | None = None,
        user_id: int | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[AuditRow], int]:
        """Newest first; since/until are whole UTC days, both included."""
        if since and until and since > until:
            raise FieldError("until", "dates", "must not be before the start date")
        query = select(AuditEntry, User.login).outerjoin(User, User.id == AuditEntry.user_id)
        if entity:
            query = query.where(AuditEntry.entity == entity)
        if entity_id is not None:
            query = query.where(AuditEntry.entity_id == entity_id)
        if user_id is not None:
            query = query.where(AuditEntry.user_id == user_id)
        if since:
            query = query.where(AuditEntry.at >= _start_of(since))
        if until:
            query = query.where(AuditEntry.at < _start_of(until + timedelta(days=1)))
        async with self.db.read() as s:
            total = await s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = await s.execute(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
            return [
                AuditRow(e.id, e.at, e.user_id, login, e.entity, e.entity_id, e.action, e.before, e.after)
                for e, login in rows
            ], total

    async def entities(self) -> list[str]:
        """The entity names present, for the filter's choices."""
        async with self.db.read() as s:
            return sorted(await s.scalars(select(AuditEntry.entity).distinct()))
