"""Customer profiles: reading, searching, editing, owning, sharing and notes.

Ownership: a customer with no owner is in the shared pool and any agent may claim
it; the owner (or a supervisor) may share it with other agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from crm_core.access.rules import customer_condition, people, restricted, sees_everything
from crm_core.audit.service import record, snapshot
from crm_core.call_links import CallRef, link_call
from crm_core.contacts.models import CustomerEmail, CustomerNote, CustomerShare, CustomerTag
from crm_core.contacts.rules import check_kind
from crm_core.customers import CustomerService, apply_extra, set_lists
from crm_core.domain_errors import SYSTEM, Actor, Clock, Conflict, Forbidden, Invalid, utc_clock
from crm_core.live_rows import live_row
from crm_core.models import Customer, CustomerPhone, User
from crm_core.phones import display_number

SUPERVISING = ("supervisor", "admin")
EDITABLE = ("name", "company", "kind", "value_segment", "region", "industry", "timezone", "owner_id")


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: int
    kind: str
    name: str
    company: str | None
    company_id: int | None
    phones: list[dict[str, str]]
    emails: list[str]
    tags: list[str]
    value_segment: str
    region: str
    industry: str
    owner_id: int | None
    shared_with: list[int]
    timezone: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__slots__}
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass(frozen=True, slots=True)
class NoteView:
    id: int
    customer_id: int
    call_record_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


class CustomerProfiles:
    def __init__(self, customers: CustomerService, clock: Clock = utc_clock) -> None:
        self.customers = customers
        self.clock = clock
        self.db = customers.db

    async def get(self, customer_id: int) -> CustomerView:
        async with self.db.read() as s:
            return await self._view(s, await _live(s, customer_id))

    async def list(
        self, q: str = "", limit: int = 50, offset: int = 0, **filters: Any
    ) -> tuple[list[CustomerView], int]:
        """Customers matching q (name, company, any written form of a number, e-mail) and filters."""
        query = self._filtered(select(Customer).where(Customer.deleted_at.is_(None)), q, filters)
        async with self.db.read() as s:
            total = await s.scalar(select(func.count()).select_from(query.subquery())) or 0
            page = query.order_by(Customer.id).limit(limit).offset(offset)
            rows = await s.scalars(page.options(selectinload(Customer.phones)))
            return [await self._view(s, c) for c in rows], total

    def _filtered(self, query: Select[Any], q: str, filters: dict[str, Any]) -> Select[Any]:
        if q.strip():
            like = f"%{q.strip()}%"
            conds = [Customer.name.ilike(like), Customer.company.ilike(like)]
            conds.append(
                Customer.id.in_(select(CustomerEmail.customer_id).where(CustomerEmail.email.ilike(like)))
            )
            key = self.customers.normalize(q)
            if key:
                phone = select(CustomerPhone.customer_id).where(CustomerPhone.e164.contains(key))
                conds.append(Customer.id.in_(phone))
            query = query.where(or_(*conds))
        for name in ("kind", "value_segment", "region", "industry", "company_id"):
            if filters.get(name) is not None:
                query = query.where(getattr(Customer, name) == filters[name])
        if filters.get("tag"):
            query = query.where(
                Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag == filters["tag"]))
            )
        if filters.get("viewer") is not None:  # only what this user may see (crm_core.access)
            query = restricted(query, customer_condition(filters["viewer"]))
        if filters.get("pool"):
            query = query.where(Customer.owner_id.is_(None))
        elif filters.get("owner_id") is not None:
            query = query.where(Customer.owner_id == filters["owner_id"])
        return query

    async def update(self, customer_id: int, changes: dict[str, Any], actor: Actor = SYSTEM) -> CustomerView:
        """Apply a partial change; numbers, emails and tags replace the whole list when given."""
        async with self.db.write() as s:
            customer = await _live(s, customer_id)
            await _may_edit(s, customer, actor)
            await _may_reassign(s, customer, actor, changes)
            before = {**snapshot(customer), **await _lists(s, customer_id)}
            await self._apply(s, customer, changes)
            await s.flush()
            after = {**snapshot(customer), **await _lists(s, customer_id)}
            record(s, actor, "customer", customer_id, "update", before, after)
            return await self._view(s, customer)

    async def check_editable(self, customer_id: int, actor: Actor) -> None:
        """Raise Forbidden unless actor may change (or bin) the customer: seeing is not enough."""
        async with self.db.read() as s:
            await _may_edit(s, await _live(s, customer_id), actor)

    async def _apply(self, s: AsyncSession, customer: Customer, changes: dict[str, Any]) -> None:
        if "name" in changes and not str(changes["name"]).strip():
            raise Invalid("name", "must not be empty")
        if "kind" in changes:
            customer.kind = check_kind(changes["kind"])
        for name in ("name", "company"):
            if name in changes:
                setattr(customer, name, changes[name])
        if changes.get("owner_id") is not None and await s.get(User, changes["owner_id"]) is None:
            raise Invalid("owner_id", "no such user")
        await apply_extra(s, customer, changes)
        if "numbers" in changes:
            keys = self.customers.numbers_of(changes["numbers"])
            await s.refresh(customer, ["phones"])
            kept = [p for p in customer.phones if p.e164 in keys]
            have = {p.e164 for p in kept}
            customer.phones = kept + [CustomerPhone(e164=k) for k in keys if k not in have]
        await set_lists(s, customer.id, changes)

    async def claim(self, customer_id: int, actor: Actor) -> CustomerView:
        """Take a customer from the shared pool; someone else's customer cannot be claimed."""
        async with self.db.write() as s:
            customer = await _live(s, customer_id, lock=True)
            if customer.owner_id not in (None, actor.id):
                raise Conflict("the customer already has an owner")
            customer.owner_id = actor.id
            record(s, actor, "customer", customer_id, "claim", {"owner_id": None}, {"owner_id": actor.id})
            return await self._view(s, customer)

    async def share(self, customer_id: int, user_id: int, actor: Actor, shared: bool = True) -> CustomerView:
        async with self.db.write() as s:
            customer = await _live(s, customer_id)
            if actor.role not in SUPERVISING and customer.owner_id != actor.id:
                raise Forbidden("only the owner or a supervisor may share a customer")
            if await s.get(User, user_id) is None:
                raise Invalid("user_id", "no such user")
            row = await s.scalar(
                select(CustomerShare).where(
                    CustomerShare.customer_id == customer_id, CustomerShare.user_id == user_id
                )
            )
            if shared and row is None:
                s.add(CustomerShare(customer_id=customer_id, user_id=user_id))
            elif not shared and row is not None:
                await s.delete(row)
            record(
                s,
                actor,
                "customer",
                customer_id,
                "share" if shared else "unshare",
                None,
                {"user_id": user_id},
            )
            await s.flush()
            return await self._view(s, customer)

    async def add_note(
        self,
        customer_id: int,
        body: str,
        actor: Actor,
        call_record_id: int | None = None,
        call: CallRef | None = None,
    ) -> NoteView:
        """A note on the customer, linked to the call it was written on when one is named
        (call_record_id, or call=(pbx, call id) as the pop-up knows it)."""
        if not body.strip():
            raise Invalid("body", "must not be empty")
        link = {"call_record_id": call_record_id, "call": call}
        async with self.db.write() as s:
            await _live(s, customer_id)
            await link_call(s, link)
            note = CustomerNote(customer_id=customer_id, body=body.strip(), author_id=actor.id)
            note.call_record_id, note.created_at = link["call_record_id"], self.clock()
            s.add(note)
            await s.flush()
            detail = {"note_id": note.id, "body": note.body, "call_record_id": note.call_record_id}
            record(s, actor, "customer", customer_id, "note", None, detail)
            return NoteView(note.id, customer_id, note.call_record_id)

    async def _view(self, s: AsyncSession, c: Customer) -> CustomerView:
        await s.refresh(c, ["phones"])
        lists = await _lists(s, c.id)
        shares = await s.scalars(select(CustomerShare.user_id).where(CustomerShare.customer_id == c.id))
        region = self.customers.region
        phones = [
            {"e164": p.e164, "display": display_number(p.e164, region), "label": p.label} for p in c.phones
        ]
        return CustomerView(
            c.id, c.kind, c.name, c.company, c.company_id, phones, lists["emails"], lists["tags"],
            c.value_segment, c.region, c.industry, c.owner_id, sorted(shares), c.timezone, c.created_at,
        )  # fmt: skip


async def _may_edit(s: AsyncSession, customer: Customer, actor: Actor) -> None:
    """Agents edit pooled customers, their own, and those shared with them; supervisors also their
    team's; administrators (and the system) any. Seeing a customer (it called you) is not owning it."""
    if sees_everything(actor) or customer.owner_id in (None, actor.id):
        return
    if actor.role == "supervisor" and await _in_team(s, actor, customer.owner_id):
        return
    shared = await s.scalar(
        select(CustomerShare.id).where(
            CustomerShare.customer_id == customer.id, CustomerShare.user_id == actor.id
        )
    )
    if shared is None:
        raise Forbidden("this customer belongs to another agent and is not shared with you")


async def _may_reassign(s: AsyncSession, customer: Customer, actor: Actor, changes: dict[str, Any]) -> None:
    """Giving a customer to someone else (or to the pool) moves it between people and teams:
    administrators may; a supervisor only within their team; an agent never (they claim from the pool)."""
    if "owner_id" not in changes or changes["owner_id"] == customer.owner_id or sees_everything(actor):
        return
    if actor.role == "supervisor":
        owners = [o for o in (customer.owner_id, changes["owner_id"]) if o is not None]
        if all([await _in_team(s, actor, o) for o in owners]):
            return
    raise Forbidden("only an administrator, or the supervisor of the team, may change a customer's owner")


async def _in_team(s: AsyncSession, actor: Actor, user_id: int) -> bool:
    return await s.scalar(select(User.id).where(User.id == user_id, User.id.in_(people(actor)))) is not None


async def _live(s: AsyncSession, customer_id: int, lock: bool = False) -> Customer:
    return await live_row(s, Customer, customer_id, "customer", lock)


async def _lists(s: AsyncSession, customer_id: int) -> dict[str, list[Any]]:
    emails = await s.scalars(
        select(CustomerEmail.email).where(CustomerEmail.customer_id == customer_id).order_by(CustomerEmail.id)
    )
    tags = await s.scalars(
        select(CustomerTag.tag).where(CustomerTag.customer_id == customer_id).order_by(CustomerTag.id)
    )
    phones = await s.scalars(
        select(CustomerPhone.e164).where(CustomerPhone.customer_id == customer_id).order_by(CustomerPhone.id)
    )
    return {"emails": list(emails), "tags": list(tags), "numbers": list(phones)}
