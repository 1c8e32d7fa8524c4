"""Callbacks (window, time zones, retries, abandoned calls, do-not-call) and the recycle bin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_core.audit.service import AuditService
from crm_core.callbacks.errors import DoNotCallBlocked
from crm_core.domain_errors import Conflict, Forbidden, Invalid, NotFound
from crm_core.events import CallEnded
from crm_core.recycle.service import RecycleBin
from tests.crm.support import Crm


def _abandoned(number: str, call_id: str = "c1", queue: str | None = "support") -> CallEnded:
    return CallEnded("pbx", call_id, "abandoned", number, "", queue, None, 1.0, 0.0, None, 5.0, 0.0, 1)


async def test_naive_time_is_the_customers_local_time_and_stored_utc(crm: Crm) -> None:
    cid = await crm.customers.create("NY", ["+1 212 555 0100"], timezone="America/New_York")
    cb = await crm.callbacks.create(crm.agent, "+12125550100", datetime(2026, 3, 3, 10, 0), customer_id=cid)
    assert cb.scheduled_at == datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


async def test_outside_the_calling_window_is_refused(crm: Crm) -> None:
    with pytest.raises(Invalid) as err:
        await crm.callbacks.create(crm.agent, "13800138200", datetime(2026, 3, 3, 21, 30))
    assert err.value.field == "scheduled_at"


async def test_preferred_agent_first_then_anyone_after_the_timeout(crm: Crm) -> None:
    cb = await crm.callbacks.create(crm.agent, "13800138201", assigned_user_id=crm.agent.id, queue="support")
    assert (await crm.callbacks.next_due_for_agent(crm.agent.id)).id == cb.id
    assert await crm.callbacks.next_due_for_agent(crm.other.id) is None
    with pytest.raises(Conflict):
        await crm.callbacks.accept(cb.id, crm.other)
    crm.clock.advance(minutes=31)
    assert (await crm.callbacks.next_due_for_agent(crm.other.id)).id == cb.id
    assert (await crm.callbacks.accept(cb.id, crm.other)).accepted_by == crm.other.id
    with pytest.raises(Conflict):
        await crm.callbacks.accept(cb.id, crm.agent)


async def test_retries_until_max_attempts_inside_the_window(crm: Crm) -> None:
    cb = await crm.callbacks.create(crm.agent, "13800138202")
    crm.clock.now = datetime(2026, 3, 2, 11, 55, tzinfo=UTC)  # 19:55 Beijing: retry falls after 20:00
    await crm.callbacks.accept(cb.id, crm.agent)
    cb = await crm.callbacks.record_attempt(cb.id, crm.agent, "no_answer")
    assert cb.status == "pending" and cb.next_attempt_at == datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    assert await crm.callbacks.due(crm.clock.now) == []
    assert [c.id for c in await crm.callbacks.due(cb.next_attempt_at)] == [cb.id]
    await crm.callbacks.record_attempt(cb.id, crm.agent, "busy")
    cb = await crm.callbacks.record_attempt(cb.id, crm.agent, "no_answer")
    assert cb.status == "failed" and cb.attempts == 3
    with pytest.raises(Conflict):
        await crm.callbacks.record_attempt(cb.id, crm.agent, "answered")
    assert len(await crm.callbacks.attempts(cb.id)) == 3


async def test_answered_attempt_completes_and_bad_outcome_is_invalid(crm: Crm) -> None:
    cb = await crm.callbacks.create(crm.agent, "13800138203")
    with pytest.raises(Invalid):
        await crm.callbacks.record_attempt(cb.id, crm.agent, "maybe")
    assert (await crm.callbacks.record_attempt(cb.id, crm.agent, "answered")).status == "done"


async def test_abandoned_queue_call_makes_one_callback_per_number(crm: Crm) -> None:
    cid = await crm.customers.create("Gone", ["13800138204"])
    first = await crm.callbacks.on_call_ended(_abandoned("138 0013 8204"))
    assert first is not None and first.customer_id == cid and first.source == "abandoned"
    assert await crm.callbacks.on_call_ended(_abandoned("13800138204", "c2")) is None
    assert await crm.callbacks.on_call_ended(_abandoned("13800138205", queue=None)) is None
    answered = CallEnded("pbx", "c3", "answered", "13800138206", "", "support", "a", 1.0, 0.0, 0.5, 1, 2)
    assert await crm.callbacks.on_call_ended(answered) is None
    assert (await crm.callbacks.list())[1] == 1


async def test_do_not_call_blocks_creation_acceptance_and_auto_callbacks(crm: Crm) -> None:
    cb = await crm.callbacks.create(crm.agent, "13800138207")
    await crm.callbacks.set_do_not_call("+86 138 0013 8207", crm.agent, reason="asked")
    with pytest.raises(DoNotCallBlocked, match="do-not-call"):
        await crm.callbacks.create(crm.agent, "13800138207")
    with pytest.raises(DoNotCallBlocked):
        await crm.callbacks.accept(cb.id, crm.agent)
    assert await crm.callbacks.on_call_ended(_abandoned("13800138207", "c9")) is None
    await crm.callbacks.set_do_not_call("13800138207", crm.agent, blocked=False)
    assert (await crm.callbacks.accept(cb.id, crm.agent)).status == "accepted"


async def test_recycle_bin_hides_restores_and_only_admin_purges(crm: Crm) -> None:
    bin_ = RecycleBin(crm.db, crm.clock)
    cid = await crm.customers.create("Binned", ["13800138208"])
    await bin_.delete("customer", cid, crm.agent)
    assert await crm.customers.find_ids_by_number("13800138208") == []
    with pytest.raises(NotFound):
        await crm.profiles.get(cid)
    assert [(i.entity, i.id) for i in await bin_.list()] == [("customer", cid)]
    with pytest.raises(Forbidden):
        await bin_.restore("customer", cid, crm.agent)
    await bin_.restore("customer", cid, crm.supervisor)
    assert (await crm.profiles.get(cid)).name == "Binned"
    await bin_.delete("customer", cid, crm.agent)
    with pytest.raises(Forbidden):
        await bin_.purge("customer", cid, crm.supervisor)
    await bin_.purge("customer", cid, crm.admin)
    assert await bin_.list() == []
    actions = [e.action for e in await AuditService(crm.db).list("customer", cid)]
    assert actions == ["create", "delete", "restore", "delete", "purge"]


async def test_purge_of_a_live_row_conflicts_and_unknown_entity_is_invalid(crm: Crm) -> None:
    bin_ = RecycleBin(crm.db, crm.clock)
    t = await crm.tickets.create(crm.agent, await crm.customers.create("x", ["1"]), "s")
    with pytest.raises(Conflict):
        await bin_.purge("service_request", t.id, crm.admin)
    with pytest.raises(Invalid):
        await bin_.delete("planet", 1, crm.admin)
    await bin_.delete("service_request", t.id, crm.agent)
    with pytest.raises(NotFound):
        await crm.tickets.get(t.id)
    assert timedelta(0) == crm.clock.now - (await bin_.list("service_request"))[0].deleted_at
