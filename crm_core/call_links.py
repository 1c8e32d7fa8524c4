"""Linking work to the call it was done on: service requests, complaints, callbacks and notes.

The pop-up knows its call as (PBX name, Asterisk Linkedid), other clients by the call
record's id; both end here, so every kind of work resolves and checks a call the same way
and answers a call that is not (yet) recorded with the same Invalid naming the field.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.db import Database
from crm_core.domain_errors import Invalid
from crm_core.models import CallRecord

CallRef = tuple[str, str]  # (pbx, call id) as the pop-up knows the call


async def call_record_id(s: AsyncSession, call: CallRef) -> int:
    """The id of the call record of (pbx, call id); Invalid("call_id") when there is none (yet:
    the record is written beside the pop, so a client may retry on this answer)."""
    pbx, call_id = call
    found = await s.scalar(select(CallRecord.id).where(CallRecord.pbx == pbx, CallRecord.call_id == call_id))
    if found is None:
        raise Invalid("call_id", "no such call on that PBX")
    return int(found)


async def link_call(s: AsyncSession, fields: dict[str, Any]) -> None:
    """Turn fields' `call` (pbx, call id) into `call_record_id`, or check the given call_record_id
    exists; with neither, nothing is linked. Naming the call both ways is refused: they could differ."""
    call, given = fields.pop("call", None), fields.get("call_record_id")
    if call is not None:
        if given is not None:
            raise Invalid("call_record_id", "name the call by call_record_id or by pbx and call_id, not both")
        fields["call_record_id"] = await call_record_id(s, call)
    elif given is not None and await s.get(CallRecord, given) is None:
        raise Invalid("call_record_id", "does not exist")


class CallLinks:
    """Resolution on its own read session, for callers that must know the id before writing
    (the API checks the user may see that call before anything is linked to it)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def resolve(self, pbx: str, call_id: str) -> int:
        async with self.db.read() as s:
            return await call_record_id(s, (pbx, call_id))
