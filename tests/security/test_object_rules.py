"""The per-object rule on real databases: who sees which customer, request, callback and call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from crm_core.access.rules import customer_condition
from crm_core.access.service import ObjectAccess
from crm_core.audit.models import AuditEntry
from crm_core.callbacks.models import Callback
from crm_core.contacts.models import CustomerShare
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Invalid, NotFound
from crm_core.models import CallAgent, CallRecord, Customer, User
from crm_core.tickets.models import ServiceRequest

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Who:
    id: int
    role: str


async def _user(db: Database, login: str, role: str, team: str | None) -> Who:
    async with db.write() as s:
        user = User(login=login, password_hash="x", display_name=login, role=role, team=team)
        s.add(user)
        await s.flush()
        return Who(user.id, role)


async def _customer(db: Database, name: str, owner: Who | None) -> int:
    async with db.write() as s:
        c = Customer(name=name, owner_id=owner.id if owner else None)
        s.add(c)
        await s.flush()
        return c.id


async def _call(db: Database, customer_id: int, offered_to: Who, call_id: str) -> int:
    async with db.write() as s:
        rec = CallRecord(pbx="p", call_id=call_id, customer_id=customer_id, started_at=NOW, status="ended")
        s.add(rec)
        await s.flush()
        s.add(
            CallAgent(call_record_id=rec.id, agent_interface=f"PJSIP/{offered_to.id}", agent_id=offered_to.id)
        )
        return rec.id


@pytest.fixture
async def world(db: Database) -> dict[str, object]:
    w: dict[str, object] = {"db": db}
    for login, role, team in [
        ("a1", "agent", "A"), ("a2", "agent", "A"), ("b1", "agent", "B"), ("loner", "agent", None),
        ("supA", "supervisor", "A"), ("supB", "supervisor", "B"), ("admin", "admin", None),
    ]:  # fmt: skip
        w[login] = await _user(db, login, role, team)
    w["pool"] = await _customer(db, "pool", None)
    w["of_a1"] = await _customer(db, "of a1", w["a1"])  # type: ignore[arg-type]
    w["of_a2"] = await _customer(db, "of a2", w["a2"])  # type: ignore[arg-type]
    w["of_b1"] = await _customer(db, "of b1", w["b1"])  # type: ignore[arg-type]
    w["shared_a1"] = await _customer(db, "b1's, shared with a1", w["b1"])  # type: ignore[arg-type]
    w["called_a1"] = await _customer(db, "b1's, called a1", w["b1"])  # type: ignore[arg-type]
    w["called_a2"] = await _customer(db, "b1's, called a2", w["b1"])  # type: ignore[arg-type]
    async with db.write() as s:
        s.add(CustomerShare(customer_id=w["shared_a1"], user_id=w["a1"].id))  # type: ignore[attr-defined]
    w["call_a1"] = await _call(db, w["called_a1"], w["a1"], "c1")  # type: ignore[arg-type]
    w["call_a2"] = await _call(db, w["called_a2"], w["a2"], "c2")  # type: ignore[arg-type]
    return w


SEES = {
    "a1": {"pool", "of_a1", "of_a2", "shared_a1", "called_a1"},
    "a2": {"pool", "of_a1", "of_a2", "called_a2"},
    "b1": {"pool", "of_b1", "shared_a1", "called_a1", "called_a2"},
    "loner": {"pool"},
    "supA": {"pool", "of_a1", "of_a2", "called_a1", "called_a2"},
    "supB": {"pool", "of_b1", "shared_a1", "called_a1", "called_a2"},
    "admin": {"pool", "of_a1", "of_a2", "of_b1", "shared_a1", "called_a1", "called_a2"},
}
CUSTOMERS = ("pool", "of_a1", "of_a2", "of_b1", "shared_a1", "called_a1", "called_a2")


@pytest.mark.parametrize("who", list(SEES))
async def test_given_teams_when_each_user_looks_then_exactly_the_rule_is_visible(
    world: dict[str, object], who: str
) -> None:
    access = ObjectAccess(world["db"])  # type: ignore[arg-type]
    actor = world[who]
    seen = {name for name in CUSTOMERS if await access.may_see(actor, "customer", world[name])}  # type: ignore[arg-type]
    assert seen == SEES[who]
    cond = customer_condition(actor)  # type: ignore[arg-type]
    async with world["db"].read() as s:  # type: ignore[attr-defined]
        query = select(Customer.id) if cond is None else select(Customer.id).where(cond)
        listed = set(await s.scalars(query))
    assert listed == {world[name] for name in SEES[who]}  # the list agrees with the single check


async def test_given_system_actor_then_everything_is_visible(world: dict[str, object]) -> None:
    access = ObjectAccess(world["db"])  # type: ignore[arg-type]
    assert await access.may_see(SYSTEM, "customer", world["of_b1"])  # type: ignore[arg-type]


async def test_given_invisible_customer_when_checked_then_not_found_and_refusal_audited(
    world: dict[str, object],
) -> None:
    db: Database = world["db"]  # type: ignore[assignment]
    access = ObjectAccess(db)
    a1: Who = world["a1"]  # type: ignore[assignment]
    with pytest.raises(NotFound):
        await access.check(a1, "customer", world["of_b1"], "timeline")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await access.check(a1, "customer", 999_999)  # missing: same answer, nothing to audit
    with pytest.raises(Invalid) as raised:
        await access.check_field(a1, "customer_id", "customer", world["of_b1"], "create")  # type: ignore[arg-type]
    assert raised.value.field == "customer_id"
    async with db.read() as s:
        rows = list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "access_refused")))
    assert [(r.user_id, r.entity, r.entity_id, r.after["wanted"]) for r in rows] == [
        (a1.id, "customer", world["of_b1"], "timeline"),
        (a1.id, "customer", world["of_b1"], "create"),
    ]


async def test_requests_and_callbacks_follow_their_customer_and_their_assignee(
    world: dict[str, object],
) -> None:
    db: Database = world["db"]  # type: ignore[assignment]
    b1, a1, sup_a = world["b1"], world["a1"], world["supA"]
    async with db.write() as s:
        req = ServiceRequest(
            number="SR-1", type="complaint", subject="s", customer_id=world["of_b1"], due_at=NOW
        )
        dispatched = ServiceRequest(
            number="SR-2",
            type="repair",
            subject="s",
            customer_id=world["of_b1"],
            due_at=NOW,
            owner_id=a1.id,  # type: ignore[attr-defined]
        )
        to_team = ServiceRequest(
            number="SR-3", type="repair", subject="s", customer_id=world["of_b1"], due_at=NOW, team="A"
        )
        cb_b = Callback(
            number="+8613800000000", customer_id=world["of_b1"], scheduled_at=NOW, next_attempt_at=NOW
        )
        cb_none = Callback(number="+8613800000001", scheduled_at=NOW, next_attempt_at=NOW)
        s.add_all([req, dispatched, to_team, cb_b, cb_none])
        await s.flush()
        ids = req.id, dispatched.id, to_team.id, cb_b.id, cb_none.id
    access = ObjectAccess(db)
    assert [await access.may_see(a1, "service_request", i) for i in ids[:3]] == [False, True, False]  # type: ignore[arg-type]
    assert [await access.may_see(sup_a, "service_request", i) for i in ids[:3]] == [False, True, True]  # type: ignore[arg-type]
    assert [await access.may_see(b1, "service_request", i) for i in ids[:3]] == [True, True, True]  # type: ignore[arg-type]
    assert [await access.may_see(a1, "callback", i) for i in ids[3:]] == [False, True]  # type: ignore[arg-type]
    assert await access.may_see(a1, "call_record", world["call_a1"])  # type: ignore[arg-type]
    assert not await access.may_see(a1, "call_record", world["call_a2"])  # type: ignore[arg-type]
    assert await access.may_see(sup_a, "call_record", world["call_a2"])  # type: ignore[arg-type]
