"""The recycle bin: agents never hard-delete; an administrator restores or purges.

Deleting sets deleted_at/deleted_by on the row (every service hides such rows);
restore clears them; purge removes the row for good. Each is audited.
An erased customer (crm_core.data_rights) sits in the bin too, but can be neither restored
(its "(erased)" row would come back as a customer) nor purged (its requests would cascade
away with the figures the erasure kept, and the tombstone must keep answering).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.access.rules import entity_condition, restricted
from crm_core.audit.service import record
from crm_core.callbacks.models import Callback
from crm_core.data_rights.models import Erasure
from crm_core.db import Database
from crm_core.domain_errors import Actor, Clock, Conflict, Forbidden, Invalid, NotFound, utc_clock
from crm_core.models import Customer
from crm_core.tickets.models import ServiceRequest

ENTITIES: dict[str, Any] = {"customer": Customer, "service_request": ServiceRequest, "callback": Callback}


@dataclass(frozen=True, slots=True)
class BinItem:
    entity: str
    id: int
    label: str
    deleted_at: datetime
    deleted_by: int | None

    def to_json(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self.__slots__}, "deleted_at": self.deleted_at.isoformat()}


def _label(row: Any) -> str:
    return getattr(row, "name", None) or getattr(row, "number", None) or str(row.id)


class ErasedCustomer(Conflict):
    """Restore or purge of an erased customer: refused (409, with its own message)."""

    key = "recycle.erased_customer"


class RecycleBin:
    def __init__(self, db: Database, clock: Clock = utc_clock) -> None:
        self.db = db
        self.clock = clock

    async def delete(self, entity: str, entity_id: int, actor: Actor) -> None:
        async with self.db.write() as s:
            row = await _row(s, entity, entity_id)
            if row.deleted_at is not None:
                raise NotFound(f"{entity} {entity_id} not found")
            row.deleted_at, row.deleted_by = self.clock(), actor.id
            record(s, actor, entity, entity_id, "delete", None, {"deleted_at": row.deleted_at.isoformat()})

    async def restore(self, entity: str, entity_id: int, actor: Actor) -> None:
        _admin(actor, "supervisor")
        async with self.db.write() as s:
            row = await _row(s, entity, entity_id)
            if row.deleted_at is None:
                raise Conflict(f"{entity} {entity_id} is not in the recycle bin")
            await _not_erased(s, entity, entity_id)
            before = {"deleted_at": row.deleted_at.isoformat(), "deleted_by": row.deleted_by}
            row.deleted_at = row.deleted_by = None
            record(s, actor, entity, entity_id, "restore", before, {"deleted_at": None, "deleted_by": None})

    async def purge(self, entity: str, entity_id: int, actor: Actor) -> None:
        """Remove for good; only what is already in the bin, only by an administrator."""
        _admin(actor)
        async with self.db.write() as s:
            row = await _row(s, entity, entity_id)
            if row.deleted_at is None:
                raise Conflict(f"{entity} {entity_id} is not in the recycle bin")
            await _not_erased(s, entity, entity_id)
            await s.delete(row)
            record(s, actor, entity, entity_id, "purge", {"label": _label(row)}, None)

    async def list(
        self, entity: str | None = None, limit: int = 50, offset: int = 0, viewer: Actor | None = None
    ) -> list[BinItem]:
        """What is in the bin, newest first; viewer: only what that user may see (crm_core.access)."""
        names = [entity] if entity else list(ENTITIES)
        items: list[BinItem] = []
        async with self.db.read() as s:
            for name in names:
                model = _model(name)
                query = select(model).where(model.deleted_at.is_not(None))
                if viewer is not None:
                    query = restricted(query, entity_condition(name, viewer))
                rows = await s.scalars(query)
                items += [BinItem(name, r.id, _label(r), r.deleted_at, r.deleted_by) for r in rows]
        items.sort(key=lambda i: (i.deleted_at, i.entity, i.id), reverse=True)
        return items[offset : offset + limit]


async def _not_erased(s: AsyncSession, entity: str, entity_id: int) -> None:
    if entity == "customer" and await s.scalar(select(Erasure.id).where(Erasure.customer_id == entity_id)):
        raise ErasedCustomer(f"customer {entity_id} was erased: it stays as it is")


def _admin(actor: Actor, *also: str) -> None:
    if actor.role not in ("admin", *also):
        raise Forbidden("only an administrator may do this" if not also else "only a supervisor may do this")


def _model(entity: str) -> Any:
    if entity not in ENTITIES:
        raise Invalid("entity", f"must be one of {', '.join(ENTITIES)}")
    return ENTITIES[entity]


async def _row(s: AsyncSession, entity: str, entity_id: int) -> Any:
    row = await s.get(_model(entity), entity_id, with_for_update=True)
    if row is None:
        raise NotFound(f"{entity} {entity_id} not found")
    return row
