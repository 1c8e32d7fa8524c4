"""Service requests and complaints: numbering, lifecycle rules, history, SLA, escalation, KB links."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from crm_core.audit.service import AuditService
from crm_core.domain_errors import Invalid
from crm_core.kb.service import KnowledgeBase
from crm_core.tickets.errors import TransitionNotAllowed
from crm_core.tickets.service import TicketService
from tests.crm.support import Crm


async def _customer(crm: Crm) -> int:
    return await crm.customers.create("Zhang", ["13800138100"])


async def test_numbers_are_readable_and_never_duplicated_under_concurrency(crm: Crm) -> None:
    cid = await _customer(crm)
    made = await asyncio.wait_for(
        asyncio.gather(*(crm.tickets.create(crm.agent, cid, f"s{i}") for i in range(30))), timeout=60
    )
    numbers = [t.number for t in made]
    assert len(set(numbers)) == 30
    assert all(re.fullmatch(r"SR-2026-\d{6}", n) for n in numbers)
    assert sorted(numbers)[0] == "SR-2026-000001" and sorted(numbers)[-1] == "SR-2026-000030"


async def test_full_lifecycle_records_who_and_when(crm: Crm) -> None:
    t = await crm.tickets.create(crm.agent, await _customer(crm), "No signal", type="repair", priority="high")
    steps = [
        ("dispatch", {"owner_id": crm.other.id, "team": "field"}),
        ("start", {}),
        ("act", {"note": "replaced the modem; customer confirms"}),
        ("resolve", {"resolution": "modem replaced"}),
        ("follow_up", {"satisfaction": 5, "comment": "great"}),
        ("close", {}),
    ]
    for action, data in steps:
        crm.clock.advance(minutes=5)
        t = await crm.tickets.transition(t.id, action, crm.agent, **data)
    assert t.status == "closed" and t.satisfaction == 5 and t.owner_id == crm.other.id
    history = await crm.tickets.history(t.id)
    assert [(h.action, h.from_status, h.to_status) for h in history] == [
        ("register", None, "registered"),
        ("dispatch", "registered", "dispatched"),
        ("start", "dispatched", "in_progress"),
        ("act", "in_progress", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("follow_up", "resolved", "follow_up"),
        ("close", "follow_up", "closed"),
    ]
    assert all(h.user_id == crm.agent.id for h in history)
    assert history[-1].at - history[0].at == timedelta(minutes=30)
    reopened = await crm.tickets.transition(t.id, "reopen", crm.agent)
    assert reopened.status == "in_progress" and reopened.closed_at is None


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [
        ([], "start"),
        ([], "resolve"),
        ([], "close"),
        ([], "reopen"),
        (["dispatch"], "resolve"),
        (["dispatch", "start"], "follow_up"),
        (["dispatch", "start", "resolve"], "close"),
        (["dispatch", "start", "resolve"], "act"),
    ],
)
async def test_forbidden_transitions_raise_conflict(crm: Crm, path: list[str], forbidden: str) -> None:
    t = await crm.tickets.create(crm.agent, await _customer(crm), "x")
    for action in path:
        await crm.tickets.transition(t.id, action, crm.agent, owner_id=crm.agent.id, note="n")
    with pytest.raises(TransitionNotAllowed):
        await crm.tickets.transition(t.id, forbidden, crm.agent, satisfaction=3)
    assert len(await crm.tickets.history(t.id)) == len(path) + 1  # nothing recorded for the refusal


@pytest.mark.parametrize("score", [0, 6, "5", None, True])
async def test_follow_up_needs_a_satisfaction_from_1_to_5(crm: Crm, score: object) -> None:
    t = await crm.tickets.create(crm.agent, await _customer(crm), "x")
    for action in ("dispatch", "start", "resolve"):
        await crm.tickets.transition(t.id, action, crm.agent, owner_id=crm.agent.id)
    with pytest.raises(Invalid) as err:
        await crm.tickets.transition(t.id, "follow_up", crm.agent, satisfaction=score)
    assert err.value.field == "satisfaction"


async def test_type_priority_and_links_are_checked(crm: Crm) -> None:
    cid = await _customer(crm)
    for fields, name in [
        ({"type": "sales"}, "type"),
        ({"priority": "asap"}, "priority"),
        ({"call_record_id": 999}, "call_record_id"),
    ]:
        with pytest.raises(Invalid) as err:
            await crm.tickets.create(crm.agent, cid, "x", **fields)
        assert err.value.field == name
    custom = TicketService(crm.db, types=("billing",), clock=crm.clock)
    assert (await custom.create(crm.agent, cid, "bill", type="billing")).type == "billing"


async def test_sla_due_time_by_type_and_priority_and_overdue_flag(crm: Crm) -> None:
    cid = await _customer(crm)
    inquiry = await crm.tickets.create(crm.agent, cid, "q", priority="urgent")
    complaint = await crm.tickets.create(crm.agent, cid, "c", type="complaint", priority="urgent")
    assert inquiry.due_at - inquiry.created_at == timedelta(hours=4)
    assert complaint.due_at - complaint.created_at == timedelta(hours=2)
    crm.clock.advance(hours=3)
    assert (await crm.tickets.get(complaint.id)).overdue and not (await crm.tickets.get(inquiry.id)).overdue
    overdue, total = await crm.tickets.list(overdue=True)
    assert total == 1 and overdue[0].id == complaint.id


async def test_overdue_complaints_escalate_once_to_a_supervisor(crm: Crm) -> None:
    cid = await _customer(crm)
    c = await crm.tickets.create(crm.agent, cid, "rude", type="complaint", severity="major", demand="apology")
    await crm.tickets.create(crm.agent, cid, "slow", priority="urgent")  # not a complaint
    assert await crm.tickets.escalate_overdue(crm.clock.now + timedelta(hours=1)) == []
    later = crm.clock.now + timedelta(hours=13)
    assert await crm.tickets.escalate_overdue(later) == [c.number]
    assert await crm.tickets.escalate_overdue(later) == []
    got = await crm.tickets.get(c.id)
    assert got.escalated_to == crm.supervisor.id and got.demand == "apology"
    assert (await crm.tickets.history(c.id))[-1].action == "escalate"
    assert (await AuditService(crm.db).list("service_request", c.id))[-1].action == "escalate"


async def test_search_by_number_and_kb_link(crm: Crm) -> None:
    cid = await _customer(crm)
    t = await crm.tickets.create(crm.agent, cid, "Router blinks red")
    found, _ = await crm.tickets.list(q=t.number.lower())
    assert [x.id for x in found] == [t.id]
    kb = KnowledgeBase(crm.db)
    art = await kb.create("Router blinks red", "Power-cycle it for 30 seconds.", ["router"])
    assert [a.id for a in (await kb.search("BLINKS router"))[0]] == [art.id]
    assert (await kb.search("toaster"))[1] == 0
    await crm.tickets.link_article(t.id, art.id, crm.agent)
    await crm.tickets.link_article(t.id, art.id, crm.agent)
    assert await crm.tickets.linked_articles(t.id) == [art.id]
