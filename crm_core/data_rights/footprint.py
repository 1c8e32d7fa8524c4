"""Which rows belong to one customer: by their id, and by their numbers wherever a number is stored.

A call from the customer's number before they were identified, a callback or campaign entry
typed with the number, a do-not-call line: all of these are theirs even without a customer id,
but only on a number nobody else has (on a shared one the name or note may be the other person's).
Both the export and the erasure start from this one answer, so they never disagree.
Audit rows: the export takes those linked by entity/entity_id only; the erasure also redacts any
whose before/after holds the person's name, e-mail or number as a whole JSON string value
(never as part of another: erasing "Li" leaves "Alice Oliver" alone).
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

MIN_TEXT = 2  # a name or e-mail shorter than this identifies nobody
MIN_DIGITS = 7
NOT_ABOUT_THEM = ("erase", "erase_reapplied", "data_export")  # the tombstone's and export's own rows


@dataclass
class Footprint:
    customer_id: int
    name: str = ""
    numbers: list[str] = field(default_factory=list)  # E.164 as stored
    shared: list[str] = field(default_factory=list)  # those another customer also has: theirs too
    emails: list[str] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)  # theirs: customer_id is them
    contact_requests: list[int] = field(default_factory=list)  # a company's, with them as the contact
    callbacks: list[int] = field(default_factory=list)
    notes: list[int] = field(default_factory=list)
    recordings: list[int] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)
    linked_audit: list[int] = field(default_factory=list)  # about their objects: what the export shows
    audit: list[int] = field(default_factory=list)  # linked ones, and any naming them: what erasure redacts

    @property
    def own_numbers(self) -> list[str]:
        return [n for n in self.numbers if n not in self.shared]

    def needles(self) -> list[str]:
        """Whole JSON string values that identify the person, quoted as JSON writes them (both escapings)."""
        values = [t for t in [self.name, *self.emails] if len(t) >= MIN_TEXT]
        for number in self.own_numbers:
            digits = number.lstrip("+")
            if len(digits) >= MIN_DIGITS:  # an extension-like number would match unrelated values
                values += [number, digits]
                if number.startswith("+86") and len(digits) > 7:
                    values.append(digits[2:])  # the national significant number: 13800138000
        found = {json.dumps(v, ensure_ascii=a) for v in values for a in (True, False)}
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
    fp.requests = await _ids(s, ServiceRequest, ServiceRequest.customer_id == cid)
    fp.contact_requests = await _ids(
        s, ServiceRequest, (ServiceRequest.contact_id == cid) & (ServiceRequest.customer_id != cid)
    )
    fp.callbacks = await _ids(s, Callback, _theirs(Callback.customer_id, Callback.number, fp))
    fp.notes = await _ids(s, CustomerNote, CustomerNote.customer_id == cid)
    fp.recordings = await _ids(
        s, Recording, or_(Recording.customer_id == cid, Recording.call_record_id.in_(fp.calls))
    )
    fp.entries = await _ids(s, CampaignEntry, _theirs(CampaignEntry.customer_id, CampaignEntry.number, fp))
    fp.linked_audit = await _ids(s, AuditEntry, or_(*_linked(fp, fp.contact_requests)) & _own_rows())
    fp.audit = await _audit_ids(s, fp)
    return fp


def _theirs(owner: Any, number: Any, fp: Footprint) -> Any:
    """Linked to the customer, or to nobody and on one of their numbers; another customer's row never."""
    return or_(owner == fp.customer_id, and_(owner.is_(None), number.in_(fp.own_numbers)))


async def _ids(s: AsyncSession, model: type, condition: object) -> list[int]:
    return sorted(await s.scalars(select(model.id).where(condition)))  # type: ignore[attr-defined]


def _linked(fp: Footprint, *more_requests: list[int]) -> list[Any]:
    """Audit rows about the customer's objects (entity and entity_id)."""
    about = [
        ("customer", [fp.customer_id]),
        ("service_request", fp.requests + [i for ids in more_requests for i in ids]),
        ("callback", fp.callbacks),
        ("recording", fp.recordings),
        ("call_record", fp.calls),
    ]
    return [(AuditEntry.entity == entity) & AuditEntry.entity_id.in_(ids) for entity, ids in about if ids]


def _own_rows() -> Any:
    return AuditEntry.action.not_in(NOT_ABOUT_THEM)


async def _audit_ids(s: AsyncSession, fp: Footprint) -> list[int]:
    """Linked audit rows, and any whose before/after holds one of the needles as a whole value."""
    conditions = _linked(fp)
    for needle in fp.needles():
        for column in (AuditEntry.before, AuditEntry.after):
            conditions.append(cast(column, Text).contains(needle, autoescape=True))
    return await _ids(s, AuditEntry, or_(*conditions) & _own_rows())
