"""CRM test support: the services on a real migrated database and a clock the test moves by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crm_core.callbacks.service import CallbackService
from crm_core.contacts.service import CustomerProfiles
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.tickets.service import TicketService
from crm_core.users import UserService, UserView


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Crm:
    db: Database
    clock: Clock
    customers: CustomerService
    profiles: CustomerProfiles
    tickets: TicketService
    callbacks: CallbackService
    agent: UserView
    other: UserView
    supervisor: UserView
    admin: UserView


async def make_crm(db: Database) -> Crm:
    clock = Clock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # 10:00 in Beijing, a Monday
    users = UserService(db)
    agent = await users.create("a1", "pw", "Agent One", team="T1")  # the supervisor's team
    other = await users.create("a2", "pw", "Agent Two")
    sup = await users.create("sup", "pw", "Supervisor", role="supervisor", team="T1")
    admin = await users.create("root", "pw", "Admin", role="admin")
    customers = CustomerService(db, "CN")
    return Crm(
        db, clock, customers, CustomerProfiles(customers, clock), TicketService(db, clock=clock),
        CallbackService(db, customers, clock=clock), agent, other, sup, admin,
    )  # fmt: skip
