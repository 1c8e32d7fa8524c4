"""The console's call actions over HTTP: click-to-dial through the simulated PBX, and the disposition."""

from __future__ import annotations

import pytest

from callcenter.service import Service
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import eventually
from tests.signin import client  # noqa: F401  (shared fixture)


async def test_click_to_dial_rings_the_agent_then_the_customer_and_pops_their_card(
    service: Service,
    ami: AmiServer,
    pbx: Pbx,
    open_console,
    client,  # noqa: F811
) -> None:
    await service.customers.create("王小明", ["13800138000"], company="北京示例科技")
    console = await open_console("agent1001")
    http = await client("agent1001")
    async with http.post("/api/calls/dial", json={"number": "138 0013 8000"}) as resp:
        assert resp.status == 202
        call_id = (await resp.json())["call_id"]
    originate = next(a for a in ami.received_actions if a.get("Action") == "Originate")
    assert (originate["Channel"], originate["Exten"], originate["ChannelId"]) == (
        "Local/1001@agents/n", "13800138000", call_id
    )  # fmt: skip
    pop = await console.wait_for(lambda m: m["type"] == "pop", within=10)
    assert pop["call"]["direction"] == "outbound" and pop["call"]["reason"] == "click_to_dial"
    assert pop["customer"]["name"] == "王小明"


@pytest.mark.parametrize("number", ["", "abc", "12\r\nAction: Command", "1" * 40])
async def test_click_to_dial_refuses_what_is_not_a_number_and_sends_nothing(
    service: Service,
    ami: AmiServer,
    client,  # noqa: F811
    number: str,
) -> None:
    http = await client("agent1001")
    async with http.post("/api/calls/dial", json={"number": number}) as resp:
        assert resp.status == 400 and (await resp.json())["field"] == "number"
    assert not [a for a in ami.received_actions if a.get("Action") == "Originate"]


async def test_click_to_dial_with_the_pbx_down_is_503_with_retry_after(
    service: Service,
    ami: AmiServer,
    client,  # noqa: F811
) -> None:
    http = await client("agent1001")
    await ami.stop()
    await eventually(lambda: not service.pbx_links["test"].connected, within=10)
    async with http.post("/api/calls/dial", json={"number": "13800138000"}) as resp:
        assert resp.status == 503 and resp.headers["Retry-After"] == "5"
        assert (await resp.json())["error"] == "dial.pbx_down"


async def test_disposition_is_the_agents_own_choice_and_ends_wrap_up(
    service: Service,
    pbx: Pbx,
    open_console,
    client,  # noqa: F811
) -> None:
    console = await open_console("agent1001")
    result = await queue_call(
        pbx, "13912345678", "刘洋", "support", "Local/1001@agents/n", member_name="Agent 1001",
        wait_seconds=1, ring_seconds=1, talk_seconds=2,
    )  # fmt: skip
    await console.wait_for(lambda m: m.get("type") == "seat" and m["state"] == "wrap_up", within=10)
    await service.bus.drain()
    record = await service.calls.get("test", result.linkedid)
    assert record is not None
    url = f"/api/calls/{record.id}/disposition"

    other = await client("agent1002")
    async with other.post(url, json={"disposition": "sales"}) as resp:
        assert resp.status == 404  # not their call: not even confirmed to exist
    mine = await client("agent1001")
    async with mine.post(url, json={"disposition": "made-up"}) as resp:
        assert resp.status == 400 and (await resp.json())["field"] == "disposition"
    async with mine.post(url, json={"disposition": "sales"}) as resp:
        assert resp.status == 200 and (await resp.json())["disposition"] == "sales"
    await console.wait_for(lambda m: m.get("type") == "seat" and m["state"] == "ready", within=5)
    assert (await service.calls.get("test", result.linkedid)).disposition == "sales"
