"""The walking skeleton end to end: simulated Asterisk → AMI → tracker → bus → console and call record."""

from __future__ import annotations

import asyncio

import pytest

from callcenter.service import Service
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import eventually

AGENT_1001 = "Local/1001@agents/n"


async def _answered_call(pbx: Pbx, number: str, name: str, agent: str = AGENT_1001):
    return await queue_call(
        pbx, number, name, "support", agent, member_name="Agent", wait_seconds=4.5, ring_seconds=2.25,
        talk_seconds=31.0,
    )  # fmt: skip


async def test_given_known_caller_when_agent_rings_then_only_that_agent_gets_the_card(
    service: Service, pbx: Pbx, open_console
) -> None:
    await service.customers.create("王小明", ["010-12345678", "13800138000"], company="北京示例科技")
    ringing, other = await open_console("agent1001"), await open_console("agent1002")

    await _answered_call(pbx, "01012345678", "王小明")

    pop = await ringing.wait_for(lambda m: m["type"] == "pop")
    assert pop["customer"]["name"] == "王小明"
    assert pop["customer"]["company"] == "北京示例科技"
    assert [p["e164"] for p in pop["customer"]["phones"]] == ["+861012345678", "+8613800138000"]
    assert pop["call"]["queue"] == "support" and pop["call"]["caller_name"] == "王小明"
    await ringing.wait_for(lambda m: m.get("state") == "answered")
    ended = await ringing.wait_for(lambda m: m.get("state") == "ended")
    assert ended["outcome"] == "answered"
    await service.bus.drain()
    assert len(ringing.of_type("pop")) == 1
    assert [m["type"] for m in other.messages] == ["hello", "snapshot"]  # nothing about this call


async def test_call_record_holds_agent_queue_wait_and_talk_from_event_times(
    service: Service, pbx: Pbx, open_console
) -> None:
    console = await open_console("agent1001")
    result = await _answered_call(pbx, "13912345678", "刘洋")
    await console.wait_for(lambda m: m.get("state") == "ended")
    await service.bus.drain()

    record = await service.calls.get("test", result.linkedid)
    agent = await service.users.by_login("agent1001")
    assert record is not None and agent is not None
    assert record.agent_id == agent.id and record.queue == "support"
    assert record.outcome == "answered"
    assert record.wait_seconds == pytest.approx(result.answered_at - result.joined_at, abs=0.01)
    assert record.wait_seconds == pytest.approx(4.5 + 2.25, abs=0.01)
    assert record.talk_seconds == pytest.approx(result.ended_at - result.answered_at, abs=0.01)
    assert record.talk_seconds == pytest.approx(31.0, abs=0.01)
    assert record.caller_number == "+8613912345678"


async def test_given_unknown_caller_then_new_customer_card_with_number(
    service: Service, pbx: Pbx, open_console
) -> None:
    console = await open_console("agent1001")
    await _answered_call(pbx, "13700000000", "13700000000")
    pop = await console.wait_for(lambda m: m["type"] == "pop")
    assert pop["customer"]["known"] is False
    assert pop["customer"]["number"] == "+8613700000000"
    assert pop["customer"]["number_display"] == "137 0000 0000"


@pytest.mark.parametrize("calling", ["+86 10 1234 5678", "010-12345678", "861012345678"])
async def test_number_written_three_ways_pops_the_same_customer(
    service: Service, pbx: Pbx, open_console, calling: str
) -> None:
    await service.customers.create("Alice Example", ["+86 10 1234 5678"], company="Example Ltd")
    console = await open_console("agent1001")
    await _answered_call(pbx, calling, "Alice")
    pop = await console.wait_for(lambda m: m["type"] == "pop")
    assert pop["customer"]["name"] == "Alice Example"


async def test_given_caller_abandons_while_agent_rings_then_card_says_abandoned(
    service: Service, pbx: Pbx, open_console
) -> None:
    console = await open_console("agent1001")
    result = await queue_call(
        pbx, "13800138000", "赵敏", "support", AGENT_1001, member_name="Agent 1001",
        wait_seconds=3, ring_seconds=5, answer=False,
    )  # fmt: skip
    ended = await console.wait_for(lambda m: m.get("state") == "ended")
    assert ended["outcome"] == "abandoned"
    await service.bus.drain()
    record = await service.calls.get("test", result.linkedid)
    assert record is not None and record.outcome == "abandoned" and record.talk_seconds == 0
    assert record.wait_seconds == pytest.approx(8.0, abs=0.01)


async def test_given_console_connects_mid_ring_then_it_catches_up_with_the_pop(
    service: Service, pbx: Pbx, open_console
) -> None:
    first = await open_console("agent1001")
    call = asyncio.create_task(
        queue_call(pbx, "13912345678", "刘洋", "support", AGENT_1001, member_name="Agent",
                   wait_seconds=1, ring_seconds=200, talk_seconds=5)  # 10 s of ringing at SPEED 20
    )  # fmt: skip
    await first.wait_for(lambda m: m["type"] == "pop")
    second_tab = await open_console("agent1001")
    snapshot = second_tab.of_type("snapshot")[0]
    assert [p["pop_id"] for p in snapshot["pops"]] == [first.of_type("pop")[0]["pop_id"]]
    assert snapshot["pops"][0]["state"] == "ringing"
    await asyncio.wait_for(call, 30)
    await eventually(lambda: service.hub.calls == {})


async def test_seat_state_reaches_the_console_and_a_new_console_gets_it_in_its_snapshot(
    service: Service, pbx: Pbx, open_console
) -> None:
    first = await open_console("agent1001")
    await queue_call(pbx, "13912345678", "刘洋", "support", AGENT_1001, member_name="Agent 1001",
                     wait_seconds=1, ring_seconds=2, talk_seconds=4)  # fmt: skip
    await first.wait_for(lambda m: m["type"] == "seat" and m["state"] == "ringing")
    await first.wait_for(lambda m: m["type"] == "seat" and m["state"] == "on_call")
    await first.wait_for(lambda m: m["type"] == "seat" and m["state"] == "wrap_up")
    later = await open_console("agent1001")
    assert later.of_type("snapshot")[0]["seat"]["state"] in ("wrap_up", "ready")
