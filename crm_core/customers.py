"""Customers and caller identification: who is calling, and what the agent should see about them.

A number several customers share (a company switchboard) pops the customer the
agents last picked for it, and the card lists every candidate to choose from.
Customers in the recycle bin are never identified.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from crm_core.access.rules import customer_condition, restricted
from crm_core.audit.service import record, snapshot
from crm_core.callbacks.models import Callback
from crm_core.card_reader import CardReader, CardRows, utc
from crm_core.contacts.models import CustomerEmail, CustomerTag, NumberPick
from crm_core.contacts.rules import check_email, check_kind, check_length, check_timezone, clean_tags
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Actor, Invalid, NotFound
from crm_core.models import CallRecord, Customer, CustomerPhone, User, utcnow
from crm_core.phones import display_number, normalize_number
from crm_core.tickets.lifecycle import OPEN_STATUSES
from crm_core.tickets.models import ServiceRequest

RECENT_CALLS_ON_CARD = 5
OPEN_ITEMS_ON_CARD = 10


@dataclass(frozen=True, slots=True)
class PhoneView:
    e164: str
    display: str
    label: str


@dataclass(frozen=True, slots=True)
class RecentCall:
    started_at: datetime
    direction: str
    outcome: str | None
    queue: str | None
    talk_seconds: float | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of several customers sharing the calling number, for the agent to choose from."""

    id: int
    name: str
    company: str | None


@dataclass(frozen=True, slots=True)
class CustomerCard:
    """What the screen pop shows: the customer, or (id None) a new-customer card for the number."""

    number: str
    number_display: str
    id: int | None = None
    kind: str = "person"
    name: str = ""
    company: str | None = None
    phones: list[PhoneView] = field(default_factory=list)
    recent_calls: list[RecentCall] = field(default_factory=list)
    other_matches: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    # Open service requests and complaints, and open callbacks: {id, number, subject, status, ...}.
    open_requests: list[dict[str, object]] = field(default_factory=list)
    open_callbacks: list[dict[str, object]] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.id is not None

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["known"] = self.known
        for call in data["recent_calls"]:
            call["started_at"] = call["started_at"].isoformat()
        return data


class CustomerService:
    def __init__(self, db: Database, default_region: str, default_timezone: str = "Asia/Shanghai") -> None:
        self.db = db
        self.region = default_region
        self.default_timezone = check_timezone(default_timezone)
        self.reader = CardReader.for_database(db)  # the screen pop's one-hop read path

    def normalize(self, number: str) -> str:
        return normalize_number(number, self.region)

    def number_key(self, number: str, field: str = "number") -> str:
        """The E.164 key of a number being stored; no digits or too many is a payload error."""
        key = self.normalize(number)
        if not key or len(key) > 20:
            raise Invalid(field, f"not a phone number: {number[:40]!r}")
        return key

    def numbers_of(self, numbers: list[str]) -> list[str]:
        """E.164 keys of the given numbers, deduplicated."""
        return list(dict.fromkeys(self.number_key(n, "numbers") for n in numbers))

    async def create(
        self,
        name: str,
        numbers: list[str],
        company: str | None = None,
        kind: str = "person",
        *,
        actor: Actor = SYSTEM,
        **extra: object,
    ) -> int:
        """A new customer; extra takes emails, tags, company_id, value_segment, region, industry,
        owner_id and timezone."""
        if not name.strip():
            raise Invalid("name", "must not be empty")
        check_length("name", name.strip(), 200)
        customer = Customer(
            name=name.strip(), company=check_length("company", company, 200), kind=check_kind(kind)
        )
        customer.timezone = self.default_timezone
        customer.phones = [CustomerPhone(e164=k) for k in self.numbers_of(numbers)]
        async with self.db.write() as s:
            await apply_extra(s, customer, extra)
            s.add(customer)
            await s.flush()
            await set_lists(s, customer.id, extra)
            record(s, actor, "customer", customer.id, "create", None, snapshot(customer))
            return customer.id

    async def find_ids_by_number(self, number: str, viewer: Actor | None = None) -> list[int]:
        """Live customers with this number (only those viewer may see, when given)."""
        key = self.normalize(number)
        if not key:
            return []
        query = (
            select(CustomerPhone.customer_id)
            .join(Customer, Customer.id == CustomerPhone.customer_id)
            .where(CustomerPhone.e164 == key, Customer.deleted_at.is_(None))
        )
        if viewer is not None:
            query = restricted(query, customer_condition(viewer))
        async with self.db.read() as s:
            rows = await s.scalars(query.order_by(CustomerPhone.customer_id))
            return list(dict.fromkeys(rows))

    async def remember_pick(self, number: str, customer_id: int, actor: Actor = SYSTEM) -> None:
        """The agent chose this customer for a shared number: pop them first next time."""
        key = self.normalize(number)
        if customer_id not in await self.find_ids_by_number(key):
            raise Invalid("customer_id", "that customer does not have this number")
        async with self.db.write() as s:
            pick = await s.get(NumberPick, key)
            if pick is None:
                pick = NumberPick(e164=key, customer_id=customer_id)
                s.add(pick)
            pick.customer_id, pick.picked_by = customer_id, actor.id
            pick.picked_at = utcnow()

    async def card_for_number(
        self, number: str, current_call: tuple[str, str] | None = None, viewer: Actor | None = None
    ) -> CustomerCard:
        """The pop-up card for a calling number: the matching customer, or a new-customer card.

        current_call (PBX, call id) is left out of the history: the card shows earlier calls.
        viewer: only customers this user may see count (a lookup); None: all (the screen pop,
        which goes to the agent the call is offered to).
        """
        key = self.normalize(number)
        if viewer is None and key and self.reader is not None:
            return self._card_of(key, await self.reader.rows(key, current_call))
        ids = await self.find_ids_by_number(number, viewer) if key else []
        if not ids:
            return CustomerCard(number=key, number_display=display_number(key, self.region))
        candidates: list[Candidate] = []
        chosen = ids[0]
        if len(ids) > 1:
            chosen, candidates = await self._candidates(key, ids)
        card = await self.card(chosen, number=key, current_call=current_call)
        return CustomerCard(**{**_fields(card), "other_matches": len(ids) - 1, "candidates": candidates})

    def _card_of(self, key: str, rows: CardRows) -> CustomerCard:
        """The card from the fast read path's rows (crm_core.card_reader): the same card as card()."""
        display = display_number(key, self.region)
        if rows.chosen is None:
            return CustomerCard(number=key, number_display=display)
        customer = next(m for m in rows.matches if m[0] == rows.chosen)
        now = utcnow()
        candidates = [Candidate(m[0], m[2], m[3]) for m in rows.matches] if len(rows.matches) > 1 else []
        return CustomerCard(
            number=key, number_display=display, id=customer[0], kind=customer[1], name=customer[2],
            company=customer[3],
            phones=[PhoneView(e164, display_number(e164, self.region), label) for e164, label in rows.phones],
            recent_calls=[RecentCall(utc(c[0]), *c[1:]) for c in rows.calls],  # type: ignore[arg-type]
            other_matches=len(rows.matches) - 1, candidates=candidates,
            open_requests=[
                {"id": r[0], "number": r[1], "type": r[2], "subject": r[3], "status": r[4],
                 "priority": r[5], "overdue": utc(r[6]) < now}  # type: ignore[operator]
                for r in rows.requests
            ],
            open_callbacks=[
                {"id": c[0], "number": c[1], "status": c[2], "due_at": utc(c[3]).isoformat()}  # type: ignore[union-attr]
                for c in rows.callbacks
            ],
        )  # fmt: skip

    async def _candidates(self, key: str, ids: list[int]) -> tuple[int, list[Candidate]]:
        async with self.db.read() as s:
            pick = await s.get(NumberPick, key)
            rows = await s.scalars(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id))
            candidates = [Candidate(c.id, c.name, c.company) for c in rows]
        chosen = pick.customer_id if pick is not None and pick.customer_id in ids else ids[0]
        return chosen, candidates

    async def card(
        self, customer_id: int, number: str = "", current_call: tuple[str, str] | None = None
    ) -> CustomerCard:
        async with self.db.read() as s:
            customer = await s.get(Customer, customer_id, options=[selectinload(Customer.phones)])
            if customer is None or customer.deleted_at is not None:
                raise NotFound(f"customer {customer_id} not found")
            query = select(CallRecord).where(CallRecord.customer_id == customer_id)
            if current_call is not None:
                pbx, call_id = current_call
                query = query.where(~((CallRecord.pbx == pbx) & (CallRecord.call_id == call_id)))
            calls = await s.scalars(query.order_by(CallRecord.started_at.desc()).limit(RECENT_CALLS_ON_CARD))
            recent = [
                RecentCall(c.started_at, c.direction, c.outcome, c.queue, c.talk_seconds) for c in calls
            ]
            requests, callbacks = await _open_work(s, customer_id)
        phones = [PhoneView(p.e164, display_number(p.e164, self.region), p.label) for p in customer.phones]
        return CustomerCard(
            number=number,
            number_display=display_number(number, self.region),
            id=customer.id,
            kind=customer.kind,
            name=customer.name,
            company=customer.company,
            phones=phones,
            recent_calls=recent,
            open_requests=requests,
            open_callbacks=callbacks,
        )


async def _open_work(
    s: AsyncSession, customer_id: int
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """What is still open with this customer, for the agent to see while the phone rings."""
    now = utcnow()
    reqs = await s.scalars(
        select(ServiceRequest)
        .where(
            ServiceRequest.customer_id == customer_id,
            ServiceRequest.deleted_at.is_(None),
            ServiceRequest.status.in_(OPEN_STATUSES),
        )
        .order_by(ServiceRequest.id.desc())
        .limit(OPEN_ITEMS_ON_CARD)
    )
    requests: list[dict[str, object]] = [
        {"id": r.id, "number": r.number, "type": r.type, "subject": r.subject, "status": r.status,
         "priority": r.priority, "overdue": r.due_at < now}
        for r in reqs
    ]  # fmt: skip
    cbs = await s.scalars(
        select(Callback)
        .where(
            Callback.customer_id == customer_id,
            Callback.deleted_at.is_(None),
            Callback.status.in_(("pending", "accepted")),
        )
        .order_by(Callback.next_attempt_at)
        .limit(OPEN_ITEMS_ON_CARD)
    )
    callbacks: list[dict[str, object]] = [
        {"id": c.id, "number": c.number, "status": c.status, "due_at": c.next_attempt_at.isoformat()}
        for c in cbs
    ]
    return requests, callbacks


def _fields(card: CustomerCard) -> dict[str, object]:
    return {name: getattr(card, name) for name in card.__dataclass_fields__}


async def apply_extra(s: AsyncSession, customer: Customer, extra: dict[str, object]) -> None:
    """Set the optional scalar fields of a customer from a validated mapping."""
    for name, limit in (("value_segment", 32), ("region", 64), ("industry", 64)):
        if name in extra:
            setattr(customer, name, check_length(name, str(extra[name] or ""), limit))
    if extra.get("timezone"):
        customer.timezone = check_timezone(str(extra["timezone"]))
    if "owner_id" in extra:
        if extra["owner_id"] is not None and await s.get(User, extra["owner_id"]) is None:
            raise Invalid("owner_id", "no such user")
        customer.owner_id = extra["owner_id"]  # type: ignore[assignment]
    if "company_id" in extra:
        await _set_company(s, customer, extra["company_id"])


async def _set_company(s: AsyncSession, customer: Customer, company_id: int | None) -> None:
    if company_id is not None:
        company = await s.get(Customer, company_id)
        if company is None or company.kind != "company" or company.deleted_at is not None:
            raise Invalid("company_id", "must be an existing company customer")
        if customer.kind != "person":
            raise Invalid("company_id", "only a person can be a contact of a company")
        customer.company = customer.company or company.name
    customer.company_id = company_id


async def set_lists(s: AsyncSession, customer_id: int, extra: dict[str, object]) -> None:
    """Replace the customer's e-mails and tags when given."""
    if "emails" in extra:
        emails = list(dict.fromkeys(check_email(str(e)) for e in _seq(extra["emails"], "emails")))
        await s.execute(CustomerEmail.__table__.delete().where(CustomerEmail.customer_id == customer_id))
        s.add_all([CustomerEmail(customer_id=customer_id, email=e) for e in emails])
    if "tags" in extra:
        tags = clean_tags(_seq(extra["tags"], "tags"))
        await s.execute(CustomerTag.__table__.delete().where(CustomerTag.customer_id == customer_id))
        s.add_all([CustomerTag(customer_id=customer_id, tag=t) for t in tags])


def _seq(value: object, name: str) -> list[object]:
    if not isinstance(value, list | tuple):
        raise Invalid(name, "must be a list")
    return list(value)
