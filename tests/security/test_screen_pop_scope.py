"""The screen pop is not limited by teams: the agent a call is offered to always gets the card,
and from then on may work that customer; an agent the call never reached still may not."""

from __future__ import annotations

import aiohttp
from sqlalchemy import update

from callcenter.service import Service
from crm_core.models import User
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import PASSWORD, eventually
from tests.signin import sign_in


async def _as(service: Service, login: str) -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    await sign_in(http, f"http://127.0.0.1:{service.web_port}", login, PASSWORD)
    return http


async def _status(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(url) as resp:
        return resp.status


async def test_given_another_teams_customer_calls_when_offered_then_card_pops_and_agent_may_work_it(
    service: Service, pbx: Pbx, open_console
) -> None:
    owner = await service.users.create("owner.a", PASSWORD, "Owner A")
    async with service.db.write() as s:
        await s.execute(update(User).where(User.login == "owner.a").values(team="A"))
        await s.execute(update(User).where(User.login.in_(["agent1001", "agent1002"])).values(team="B"))
    cid = await service.customers.create("王小明", ["010-12345678"], owner_id=owner.id)
    base = f"http://127.0.0.1:{service.web_port}"
    offered, bystander = await _as(service, "agent1001"), await _as(service, "agent1002")
    try:
        assert await _status(offered, f"{base}/api/v1/customers/{cid}") == 404  # not theirs, not yet
        async with offered.get(f"{base}/api/v1/identify", params={"number": "01012345678"}) as resp:
            assert (await resp.json())["known"] is False  # a lookup does not confirm another team's customer
        console = await open_console("agent1001")
        await queue_call(
            pbx, "01012345678", "王小明", "support", "Local/1001@agents/n", member_name="Agent",
            wait_seconds=1.0, ring_seconds=1.0, talk_seconds=3.0,
        )  # fmt: skip
        pop = await console.wait_for(lambda m: m["type"] == "pop")
        assert (pop["customer"]["id"], pop["customer"]["name"]) == (cid, "王小明")
        await service.bus.drain()
        await eventually(lambda: service.calls.get("test", pop["call"]["call_id"]))
        assert await _status(offered, f"{base}/api/v1/customers/{cid}") == 200  # the customer called them
        body = {"customer_id": cid, "subject": "Billing", "pbx": "test", "call_id": pop["call"]["call_id"]}
        async with offered.post(f"{base}/api/v1/service-requests", json=body) as resp:
            assert resp.status == 201, await resp.text()
        assert await _status(bystander, f"{base}/api/v1/customers/{cid}") == 404  # never reached them
    finally:
        await offered.close()
        await bystander.close()
