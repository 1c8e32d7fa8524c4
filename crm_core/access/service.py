"""The door every read or change of one customer-bound object goes through.

An object the actor may not see answers exactly like one that does not exist
(NotFound, or Invalid naming the field when it was referenced from a payload), so
ids cannot be probed; the refusal of an object that does exist is written to the
audit trail in its own short transaction (it must stay even though the request fails).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from crm_core.access.rules import (
    call_record_condition,
    call_work_condition,
    callback_condition,
    customer_condition,
    request_condition,
)
from crm_core.audit.service import record
from crm_core.callbacks.models import Callback
from crm_core.db import Database
from crm_core.domain_errors import Actor, Invalid, NotFound
from crm_core.models import CallRecord, Customer
from crm_core.tickets.models import ServiceRequest

log = logging.getLogger(__name__)
# what is checked -> (entity in the audit trail, model, label in "not found" messages, condition)
KINDS: dict[str, tuple[str, Any, str, Any]] = {
    "customer": ("customer", Customer, "customer", customer_condition),
    "service_request": ("service_request", ServiceRequest, "service request", request_condition),
    "callback": ("callback", Callback, "callback", callback_condition),
    "call_record": ("call_record", CallRecord, "call record", call_record_condition),
    "call": ("call_record", CallRecord, "call record", call_work_condition),  # acting on the call
}
MAX_WANTED = 32


class ObjectAccess:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def may_see(self, actor: Actor, entity: str, entity_id: int) -> bool:
        """Whether actor may see the object (False also when it does not exist); writes nothing."""
        _entity, model, _label, condition = KINDS[entity]
        cond: ColumnElement[bool] | None = condition(actor)
        query = exists().where(model.id == entity_id)
        if cond is not None:
            query = query.where(cond)
        async with self.db.read() as s:
            return bool(await s.scalar(select(query)))

    async def check(self, actor: Actor, entity: str, entity_id: int, wanted: str = "read") -> None:
        """Return when actor may see the object; else NotFound (the refusal audited when it exists)."""
        if await self.may_see(actor, entity, entity_id):
            return
        audited, model, label, _condition = KINDS[entity]
        await self._refused(actor, audited, entity_id, wanted, model)
        raise NotFound(f"{label} {entity_id} not found")

    async def check_field(
        self, actor: Actor, field: str, entity: str, entity_id: int | None, wanted: str
    ) -> None:
        """A payload names an object (customer_id...): an invisible one is as good as missing."""
        if entity_id is None or await self.may_see(actor, entity, entity_id):
            return
        audited, model, _label, _condition = KINDS[entity]
        await self._refused(actor, audited, entity_id, wanted, model)
        raise Invalid(field, "does not exist")

    async def _refused(self, actor: Actor, entity: str, entity_id: int, wanted: str, model: Any) -> None:
        async with self.db.write() as s:
            if await s.get(model, entity_id) is None:
                return  # nothing there to refuse: a plain miss
            detail = {"wanted": wanted[:MAX_WANTED], "role": actor.role}
            record(s, actor, entity, entity_id, "access_refused", None, detail)
        log.info("object access refused user=%s entity=%s id=%s", actor.id, entity, entity_id)
