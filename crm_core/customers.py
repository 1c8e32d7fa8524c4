"""Customers and caller identification: who is calling, and what the agent should see about them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm_core.db import Database
from crm_core.models import CallRecord, Customer, CustomerPhone
from crm_core.phones import display_number, normalize_number

RECENT_CALLS_ON_CARD = 5


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
    def __init__(self, db: Database, default_region: str) -> None:
        self.db = db
        self.region = default_region

    def normalize(self, number: str) -> str:
        return normalize_number(number, self.region)

    async def create(
        self, name: str, numbers: list[str], company: str | None = None, kind: str = "person"
    ) -> int:
        keys = list(dict.fromkeys(k for k in (self.normalize(n) for n in numbers) if k))
        async with self.db.write() as s:
            customer = Customer(name=name, company=company, kind=kind)
            customer.phones = [CustomerPhone(e164=k) for k in keys]
            s.add(customer)
            await s.flush()
            return customer.id

    async def find_ids_by_number(self, number: str) -> list[int]:
        key = self.normalize(number)
        if not key:
            return []
        async with self.db.read() as s:
            rows = await s.scalars(
                select(CustomerPhone.customer_id)
                .where(CustomerPhone.e164 == key)
                .order_by(CustomerPhone.customer_id)
            )
            return list(dict.fromkeys(rows))

    async def card_for_number(self, number: str, current_call: tuple[str, str] | None = None) -> CustomerCard:
        """The pop-up card for a calling number: the matching customer, or a new-customer card.

        current_call (PBX, call id) is left out of the history: the card shows earlier calls.
        """
        key = self.normalize(number)
        ids = await self.find_ids_by_number(number) if key else []
        if not ids:
            return CustomerCard(number=key, number_display=display_number(key, self.region))
        card = await self.card(ids[0], number=key, current_call=current_call)
        return CustomerCard(**{**_fields(card), "other_matches": len(ids) - 1})

    async def card(
        self, customer_id: int, number: str = "", current_call: tuple[str, str] | None = None
    ) -> CustomerCard:
        async with self.db.read() as s:
            customer = await s.get(Customer, customer_id, options=[selectinload(Customer.phones)])
            if customer is None:
                raise LookupError(customer_id)
            query = select(CallRecord).where(CallRecord.customer_id == customer_id)
            if current_call is not None:
                pbx, call_id = current_call
                query = query.where(~((CallRecord.pbx == pbx) & (CallRecord.call_id == call_id)))
            calls = await s.scalars(query.order_by(CallRecord.started_at.desc()).limit(RECENT_CALLS_ON_CARD))
            recent = [
                RecentCall(c.started_at, c.direction, c.outcome, c.queue, c.talk_seconds) for c in calls
            ]
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
        )


def _fields(card: CustomerCard) -> dict[str, object]:
    return {name: getattr(card, name) for name in card.__dataclass_fields__}
