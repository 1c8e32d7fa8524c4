"""Which rows belong to one customer: by their id, and by their numbers wherever a number is stored.

A call from the customer's number before they were identified, a callback or campaign entry
typed with the number, a do-not-call line: all of these are theirs even without a customer id.
Both the export and the erasure start from this one answer, so they never disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, and_, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.audit.models import AuditEntry
from crm_core.callbacks.models import Callback
from crm_core.campaigns.models import CampaignEntry
from crm_core.contacts.models import CustomerEmail, CustomerNote
from crm_core.data_rights.models import ERASED
from crm_core.models import CallRecord, Customer, CustomerPhone
from crm_core.recording.models import Recording
from crm_core.tickets.models import ServiceRequest


@dataclass
class Footprint:
    customer_id: int
    name: str = ""
    numbers: list[str] = field(default_factory=list)  # E.164 as stored
    shared: list[str] = field(default_factory=list)  # those another customer also has: theirs too
    emails: list[str] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    callbacks: list[int] = field(default_factory=list)
    notes: list[int] = field(default_factory=list)
    recordings: list[int] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)
    audit: list[int] = field(default_factory=list)

    @property
    def own_numbers(self) -> list[str]:
        return [n for n in self.numbers if n not in self.shared]

    def needles(self) -> list[str]:
        """Texts that identify the person inside free text and JSON (escaped as JSON writes them too)."""
        found: set[str] = set()
        for text in [self.name, *self.emails]:
            if len(text) >= 2:
                found |= {text, json.dumps(text)[1:-1]}
        for number in self.own_numbers:
            digits = number.lstrip("+")
            found.add(digits)
            if number.startswith("+86") and len(digits) > 7:
                found.add(digits[2:])  # the national significant number: 13800138000
        return sorted(found)


async def trace(s: AsyncSession, customer: Customer) -> Footprint:
    """The customer's footprint, read in one session."""
    cid = customer.id
    fp = Footprint(cid, "" if customer.name == ERASED else customer.name)  # a placeholder is no needle
    fp.numbers = list(await s.scalars(select(CustomerPhone.e164).where(CustomerPhone.customer_id == cid)))
    fp.emails = list(await s.scalars(select(CustomerEmail.email).where(CustomerEmail.customer_id == cid)))
    fp.shared = sorted(
        await s.scalars(
            select(CustomerPhone.e164).where(
                CustomerPhone.e164.in_(fp.numbers), CustomerPhone.customer_id != cid
            )
        )
    )
    fp.calls = await _ids(s, CallRecord, _theirs(CallRecord.customer_id, CallRecord.caller_number, fp))
    fp.requests = await _ids(
        s, ServiceRequest, or_(ServiceRequest.customer_id == cid, ServiceRequest.contact_id == cid)
    )
    fp.callbacks = await _ids(s, Callback, _theirs(Callback.customer_id, Callback.number, fp))
    fp.notes = await _ids(s, CustomerNote, CustomerNote.customer_id == cid)
    fp.recordings = await _ids(
        s, Recording, or_(Recording.customer_id == cid, Recording.call_record_id.in_(fp.calls))
    )
    fp.entries = await _ids(s, CampaignEntry, _theirs(CampaignEntry.customer_id, CampaignEntry.number, fp))
    fp.audit = await _audit_ids(s, fp)
    return fp


def _theirs(owner: Any, number: Any, fp: Footprint) -> Any:
    """Linked to the customer, or to nobody and on one of their numbers; another customer's row never."""
    return or_(owner == fp.customer_id, and_(owner.is_(None), number.in_(fp.numbers)))


async def _ids(s: AsyncSession, model: type, condition: object) -> list[int]:
    return sorted(await s.scalars(select(model.id).where(condition)))  # type: ignore[attr-defined]


async def _audit_ids(s: AsyncSession, fp: Footprint) -> list[int]:
    """Audit rows about the customer's objects, and any whose before/after mentions them."""
    about = [
        ("customer", [fp.customer_id]),
        ("service_request", fp.requests),
        ("callback", fp.callbacks),
        ("recording", fp.recordings),
        ("call_record", fp.calls),
    ]
    conditions = [
        (AuditEntry.entity == entity) & AuditEntry.entity_id.in_(ids) for entity, ids in about if ids
    ]
    for needle in fp.needles():
        for column in (AuditEntry.before, AuditEntry.after):
            conditions.append(cast(column, Text).contains(needle, autoescape=True))
    return await _ids(s, AuditEntry, or_(*conditions) & (AuditEntry.action != "erase"))  # the tombstone's own
