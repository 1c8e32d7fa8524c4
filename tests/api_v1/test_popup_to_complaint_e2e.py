"""End to end over real sockets: a simulated call pops the card, the agent files a complaint from the
pop-up (naming the call as the pop-up knows it), and it is on the customer's timeline linked to that call."""

from __future__ import annotations

import aiohttp

from callcenter.service import Service
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import PASSWORD, eventually
from tests.signin import sign_in


async def test_given_popup_when_agent_files_complaint_then_timeline_links_it_to_the_call(
    service: Service, pbx: Pbx, open_console
) -> None:
    cid = await service.customers.create("王小明", ["010-12345678"])
    console = await open_console("agent1001")
    await queue_call(
        pbx, "01012345678", "王小明", "support", "Local/1001@agents/n", member_name="Agent",
        wait_seconds=1.0, ring_seconds=1.0, talk_seconds=5.0,
    )  # fmt: skip
    pop = await console.wait_for(lambda m: m["type"] == "pop")
    assert pop["customer"]["id"] == cid
    await service.bus.drain()
    await eventually(lambda: service.calls.get("test", pop["call"]["call_id"]))
    base = f"http://127.0.0.1:{service.web_port}"
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=30)) as http:
        await sign_in(http, base, "agent1001", PASSWORD)
        call = {"pbx": pop["call"]["pbx"], "call_id": pop["call"]["call_id"]}
        payload = {
            "customer_id": pop["customer"]["id"], "subject": "Rude technician", "type": "complaint",
            "severity": "major", "demand": "an apology", **call,
        }  # fmt: skip
        async with http.post(f"{base}/api/v1/service-requests", json=payload) as resp:
            assert resp.status == 201, await resp.text()
            complaint = await resp.json()
        record = await service.calls.get("test", pop["call"]["call_id"])
        assert record is not None and complaint["call_record_id"] == record.id
        async with http.get(f"{base}/api/v1/customers/{cid}/timeline") as resp:
            items = (await resp.json())["items"]
    kinds = {i["kind"]: i for i in items}
    assert kinds["complaint"]["data"]["call_record_id"] == record.id
    assert kinds["call"]["ref"] == record.id
