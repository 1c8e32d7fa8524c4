"""What the console reads besides its stream: a customer's card without a call, the callbacks due
(the agent's own first), and the call record behind a pop (for the disposition at wrap-up)."""

from __future__ import annotations

from callcenter.service import Service
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import eventually


async def _user_id(service: Service, login: str) -> int:
    user = await service.users.by_login(login)
    assert user is not None
    return user.id


async def test_given_a_customer_when_the_agent_opens_their_card_without_a_call_then_the_pop_up_card(
    service: Service, client
) -> None:
    cid = await service.customers.create("王小明", ["010-12345678"], company="北京示例科技")
    owner = await _user_id(service, "agent1002")
    theirs = await service.customers.create("张伟", ["13700000000"], owner_id=owner)
    http = await client("agent1001")
    async with http.get(f"/api/console/customers/{cid}/card") as resp:
        assert resp.status == 200
        card = await resp.json()
    assert (card["id"], card["name"], card["company"], card["known"]) == (cid, "王小明", "北京示例科技", True)
    assert [p["display"] for p in card["phones"]] == ["010 1234 5678"]
    assert card["open_requests"] == [] and card["recent_calls"] == []
    for path in (f"/api/console/customers/{theirs}/card", "/api/console/customers/99999/card",
                 "/api/console/customers/abc/card"):  # fmt: skip
        async with http.get(path) as resp:
            assert resp.status == 404, path  # another agent's customer is not even confirmed to exist


async def test_given_due_callbacks_then_the_agents_own_come_first_with_the_customers_name(
    service: Service, client
) -> None:
    me, other = await _user_id(service, "agent1001"), await _user_id(service, "agent1002")
    cid = await service.customers.create("王小明", ["010-12345678"])
    callbacks = service.crm.callbacks
    agent = await service.users.by_id(me)
    assert agent is not None
    theirs = await callbacks.create(agent, "13800000001", customer_id=cid, assigned_user_id=other)
    anyone = await callbacks.create(agent, "13800000002")
    mine = await callbacks.create(agent, "13800000003", customer_id=cid, assigned_user_id=me)
    http = await client("agent1001")
    async with http.get("/api/console/callbacks") as resp:
        assert resp.status == 200
        body = await resp.json()
    order = [item["id"] for item in body["items"]]
    assert order == [mine.id, anyone.id, theirs.id] and body["total"] == 3
    first = body["items"][0]
    assert first["mine"] is True and first["customer_name"] == "王小明"
    assert body["items"][1]["mine"] is False and body["items"][1]["customer_name"] is None


async def test_given_a_finished_call_then_its_pop_finds_its_record_for_the_agent_on_it_only(
    service: Service, pbx: Pbx, open_console, client
) -> None:
    cid = await service.customers.create("刘洋", ["13912345678"])
    console = await open_console("agent1001")
    result = await queue_call(
        pbx, "13912345678", "刘洋", "support", "Local/1001@agents/n", member_name="Agent 1001",
        wait_seconds=1, ring_seconds=1, talk_seconds=2,
    )  # fmt: skip
    pop = await console.wait_for(lambda m: m["type"] == "pop")
    await service.bus.drain()
    await eventually(lambda: service.calls.get("test", result.linkedid))
    record = await service.calls.get("test", result.linkedid)
    assert record is not None
    url = "/api/calls/lookup?pop_id=" + pop["pop_id"]

    mine = await client("agent1001")
    async with mine.get(url) as resp:
        assert resp.status == 200
        assert await resp.json() == {
            "id": record.id, "pbx": "test", "call_id": result.linkedid, "disposition": None
        }  # fmt: skip
    async with mine.post(f"/api/calls/{record.id}/disposition", json={"disposition": "resolved"}) as resp:
        assert resp.status == 200
    async with mine.get(url) as resp:
        assert (await resp.json())["disposition"] == "resolved"
    for bad in ("", "no-colon", ":x", "test:"):
        async with mine.get("/api/calls/lookup", params={"pop_id": bad}) as resp:
            assert resp.status == 400 and (await resp.json())["field"] == "pop_id"
    async with mine.get("/api/calls/lookup?pop_id=test:no-such-call") as resp:
        assert resp.status == 404
    other = await client("agent1002")
    async with other.get(url) as resp:
        assert resp.status == 404  # not theirs: not even confirmed to exist

    async with mine.get(f"/api/console/customers/{cid}/card") as resp:
        assert len((await resp.json())["recent_calls"]) == 1
    async with mine.get(f"/api/console/customers/{cid}/card", params={"pop_id": pop["pop_id"]}) as resp:
        assert (await resp.json())["recent_calls"] == []  # the card of this call shows the earlier ones
