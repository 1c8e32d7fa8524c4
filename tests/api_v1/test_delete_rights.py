"""Seeing an object is not owning it: an agent bins only their own work, and never a customer
that belongs to someone else (one that merely called them, say); administrators may."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_core.db import Database
from crm_core.models import CallAgent, CallRecord
from tests.api_v1.conftest import PASSWORD, Api, _signed_in


async def _called(db: Database, customer: int, agent_id: int) -> None:
    """The customer called agent_id once: enough for that agent to see the customer, not to own it."""
    async with db.write() as s:
        call = CallRecord(pbx="main", call_id="c1", customer_id=customer, status="ended", outcome="answered",
                          agent_id=agent_id, started_at=datetime(2026, 11, 30, 8, tzinfo=UTC))  # fmt: skip
        s.add(call)
        await s.flush()
        s.add(
            CallAgent(call_record_id=call.id, agent_interface="PJSIP/2", agent_id=agent_id, result="answered")
        )


async def test_an_agent_deletes_only_their_own_work_and_no_one_elses_customer(api: Api, db: Database) -> None:
    two = await api.users.create("agent2", PASSWORD, "Agent Two")
    other = await _signed_in(api.base, "agent2")
    try:
        async with api.admin.post(
            api.url("/api/v1/customers"), json={"name": "Kept", "numbers": ["13800138021"]}
        ) as r:
            customer = (await r.json())["id"]
        async with api.admin.patch(api.url(f"/api/v1/customers/{customer}"), json={"owner_id": 1}) as r:
            assert r.status == 200  # an administrator gives the customer to "agent"
        request = {"customer_id": customer, "subject": "Broken", "type": "repair"}
        async with api.agent.post(api.url("/api/v1/service-requests"), json=request) as r:
            assert r.status == 201, await r.text()
            mine = (await r.json())["id"]
        async with api.agent.post(api.url("/api/v1/service-requests"), json=request) as r:
            kept = (await r.json())["id"]
        await _called(db, customer, two.id)
        async with other.get(api.url(f"/api/v1/customers/{customer}")) as r:
            assert r.status == 200  # the customer called agent2: they see the card
        async with other.delete(api.url(f"/api/v1/service-requests/{kept}")) as r:
            assert r.status == 403  # but it is not their work to bin
        async with other.patch(api.url(f"/api/v1/customers/{customer}"), json={"owner_id": None}) as r:
            assert r.status == 403  # nobody gives away someone else's customer
        async with other.delete(api.url(f"/api/v1/customers/{customer}")) as r:
            assert r.status == 403
        async with api.agent.delete(api.url(f"/api/v1/service-requests/{mine}")) as r:
            assert r.status == 200  # their own work
        async with api.agent.patch(api.url(f"/api/v1/customers/{customer}"), json={"owner_id": None}) as r:
            assert r.status == 403  # even the owner does not throw the customer into the pool
        async with api.admin.delete(api.url(f"/api/v1/service-requests/{kept}")) as r:
            assert r.status == 200
        async with api.admin.get(api.url(f"/api/v1/customers/{customer}")) as r:
            assert r.status == 200 and (await r.json())["owner_id"] == 1
    finally:
        await other.close()
