"""Telephony actions end to end: the Telephony port of the running service against the simulated PBX.

Each action goes over the real AMI socket; what it causes comes back as AMI events through
the tracker to the agents' consoles and the call records, as on a real Asterisk. The
adapter's dialplan defaults (outbound, transfer, supervisor contexts) match the simulator's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from callcenter.service import Service
from crm_core.models import CallRecord
from crm_core.ports import TelephonyError
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import AMI_SECRET, PASSWORD, Console, eventually
from tests.pbxsim.amiclient import Msg, RawAmiClient, header

AGENT_1001, AGENT_1002, AGENT_1003 = "Local/1001@agents/n", "Local/1002@agents/n", "Local/1003@agents/n"
SUPERVISOR = "PJSIP/2001"


@pytest.fixture
async def agents(service: Service) -> Service:
    """A third agent in no queue yet, created while the service runs: the service's user
    listeners must teach the tracker's direct-call hook and the console hub about them at once."""
    await service.users.create("agent1003", PASSWORD, "Ana", interface=AGENT_1003, extension="1003")
    return service


@pytest.fixture
async def observer(ami: AmiServer) -> AsyncIterator[RawAmiClient]:
    """A second AMI client (like a PBX admin's tool) that sees every event the PBX sends."""
    client = await RawAmiClient.connect(ami.port)
    await client.login(secret=AMI_SECRET)
    yield client
    await client.close()


def _sent(ami: AmiServer, action: str) -> list[dict[str, str]]:
    return [a for a in ami.received_actions if a.get("Action", "").lower() == action.lower()]


def _not_pings(ami: AmiServer) -> list[dict[str, str]]:
    return [a for a in ami.received_actions if a.get("Action", "").lower() != "ping"]


async def _next(console: Console, after: int, predicate: Callable[[dict[str, Any]], bool]) -> dict:
    """The first message after index ``after`` that matches (waits for it)."""
    await eventually(lambda: any(predicate(m) for m in console.messages[after:]), within=5)
    return next(m for m in console.messages[after:] if predicate(m))


async def _rows(service: Service, call_id: str | None = None) -> int:
    async with service.db.read() as s:
        query = select(func.count()).select_from(CallRecord)
        if call_id is not None:
            query = query.where(CallRecord.call_id == call_id)
        return int(await s.scalar(query) or 0)


def _answered_call(pbx: Pbx, agent: str = AGENT_1001, talk: float = 60.0) -> asyncio.Task:
    return asyncio.create_task(
        queue_call(pbx, "13912345678", "刘洋", "support", agent, member_name="Agent",
                   wait_seconds=2, ring_seconds=2, talk_seconds=talk)
    )  # fmt: skip


async def _talking(console: Console) -> str:
    """Wait until the agent answered; the call id of their pop."""
    pop = await console.wait_for(lambda m: m["type"] == "pop", within=10)
    await console.wait_for(lambda m: m.get("state") == "answered", within=10)
    return str(pop["call"]["call_id"])


async def test_click_to_dial_pops_outbound_card_and_hangup_ends_it_with_its_outcome(
    agents: Service, ami: AmiServer, pbx: Pbx, open_console
) -> None:
    service = agents
    await service.customers.create("王小明", ["13800138000"], company="北京示例科技")
    console = await open_console("agent1001")
    link = service.pbx_links["test"]
    call_id = f"c2d-{uuid.uuid4().hex[:12]}"

    await link.originate(AGENT_1001, "13800138000", call_id)
    pop = await console.wait_for(lambda m: m["type"] == "pop")
    assert pop["call"]["call_id"] == call_id
    assert pop["call"]["direction"] == "outbound" and pop["call"]["reason"] == "click_to_dial"
    assert pop["customer"]["name"] == "王小明" and pop["customer"]["company"] == "北京示例科技"
    await console.wait_for(lambda m: m.get("state") == "answered")

    await link.hangup(call_id)
    ended = await console.wait_for(lambda m: m.get("state") == "ended")
    await service.bus.drain()
    assert ended["outcome"] == "answered"
    record = await service.calls.get("test", call_id)
    agent = await service.users.by_login("agent1001")
    assert record is not None and agent is not None
    assert record.direction == "outbound" and record.outcome == "answered" and record.agent_id == agent.id
    assert record.caller_number == "+8613800138000"
    [originate] = _sent(ami, "Originate")  # sent once, never repeated
    assert (originate["Channel"], originate["Context"], originate["Exten"]) == (
        AGENT_1001,
        "outbound",
        "13800138000",
    )
    assert len(_sent(ami, "Hangup")) == 1
    assert len(console.of_type("pop")) == 1


async def test_blind_transfer_pops_the_target_agent_with_who_transferred_and_one_record_for_both(
    agents: Service, ami: AmiServer, pbx: Pbx, open_console
) -> None:
    service = agents
    first, second = await open_console("agent1001"), await open_console("agent1002")
    link = service.pbx_links["test"]
    call = _answered_call(pbx, talk=40)
    call_id = await _talking(first)

    await link.blind_transfer(call_id, "1002")
    pop = await second.wait_for(lambda m: m["type"] == "pop")
    assert pop["call"]["call_id"] == call_id
    assert pop["call"]["reason"] == "transfer" and pop["call"]["transferred_by"] == "李娜"
    await second.wait_for(lambda m: m.get("state") == "answered")
    await asyncio.wait_for(call, 20)
    ended = await second.wait_for(lambda m: m.get("state") == "ended")
    await service.bus.drain()

    assert ended["outcome"] == "answered"
    assert len(first.of_type("pop")) == 1 and len(second.of_type("pop")) == 1
    [transfer] = _sent(ami, "BlindTransfer")
    assert (transfer["Context"], transfer["Exten"]) == ("transfer", "1002")
    assert transfer["Channel"].startswith("Local/1001@agents-")
    assert await _rows(service, call_id) == 1
    record = await service.calls.get("test", call_id)
    assert record is not None and record.transferred is True and record.outcome == "answered"
    involved = {row.agent_interface: row.result for row in await service.calls.agents_of(record.id)}
    assert involved == {AGENT_1001: "answered", AGENT_1002: "answered"}
    assert record.agent_interface == AGENT_1002


async def test_pause_with_reason_then_unpause_reaches_the_agents_console(
    agents: Service, ami: AmiServer, open_console
) -> None:
    console = await open_console("agent1001")
    link = agents.pbx_links["test"]

    mark = len(console.messages)
    await link.set_paused(AGENT_1001, True, "lunch")
    paused = await _next(console, mark, lambda m: m["type"] == "seat" and m["state"] != "ready")
    assert (paused["state"], paused["reason"]) == ("paused", "lunch")

    mark = len(console.messages)
    await link.set_paused(AGENT_1001, False)
    ready = await _next(console, mark, lambda m: m["type"] == "seat")
    assert (ready["state"], ready["reason"], ready["queues"]) == ("ready", "", ["support"])
    assert [a["Paused"] for a in _sent(ami, "QueuePause")] == ["true", "false"]
    assert _sent(ami, "QueuePause")[0]["Reason"] == "lunch"


async def test_queue_login_then_logout_moves_the_seat_and_a_second_login_is_refused_clearly(
    agents: Service, ami: AmiServer, pbx: Pbx, open_console
) -> None:
    console = await open_console("agent1003")
    link = agents.pbx_links["test"]

    await link.login(AGENT_1003, "support", "Ana")
    ready = await console.wait_for(lambda m: m["type"] == "seat" and m["state"] == "ready")
    assert ready["queues"] == ["support"]
    assert pbx.state.queues["support"].members[AGENT_1003].membership == "dynamic"
    with pytest.raises(TelephonyError) as second:
        await link.login(AGENT_1003, "support", "Ana")
    assert second.value.code == "refused" and "Already there" in str(second.value)

    mark = len(console.messages)
    await link.logout(AGENT_1003, "support")
    out = await _next(console, mark, lambda m: m["type"] == "seat")
    assert (out["state"], out["queues"]) == ("logged_out", [])
    assert AGENT_1003 not in pbx.state.queues["support"].members
    members = {"QueueAdd", "QueueRemove"}
    assert [a["Action"] for a in _not_pings(ami) if a["Action"] in members] == [
        "QueueAdd",
        "QueueAdd",
        "QueueRemove",
    ]


async def _read_until_event(client: RawAmiClient, name: str, within: float = 5.0) -> list[Msg]:
    seen: list[Msg] = []
    async with asyncio.timeout(within):
        while not seen or header(seen[-1], "Event") != name:
            seen.append(await client.read())
    return seen


async def test_supervisor_listens_without_a_call_record_or_pop_and_the_call_goes_on(
    agents: Service, ami: AmiServer, pbx: Pbx, open_console, observer: RawAmiClient
) -> None:
    service = agents
    talking, other = await open_console("agent1001"), await open_console("agent1002")
    link = service.pbx_links["test"]
    call = _answered_call(pbx, talk=60)
    call_id = await _talking(talking)

    await link.spy(SUPERVISOR, AGENT_1002, "barge")  # 1002 is on no call: nobody to spy on yet
    await link.spy(SUPERVISOR, AGENT_1001, "listen")
    spy = (await _read_until_event(observer, "ChanSpyStart"))[-1]
    assert (header(spy, "SpyerChannel") or "").startswith(f"{SUPERVISOR}-")
    assert (header(spy, "SpyeeChannel") or "").startswith("Local/1001@agents-")
    await _read_until_event(observer, "ChanSpyStop")
    idle, busy = _sent(ami, "Originate")
    assert (idle["Application"], idle["Data"]) == ("ChanSpy", "Local/1002@agents-,qB")
    assert busy["Application"] == "ChanSpy" and busy["Data"].endswith(",q")
    assert busy["Data"].startswith("Local/1001@agents-")

    result = await asyncio.wait_for(call, 20)
    ended = await talking.wait_for(lambda m: m.get("state") == "ended")
    await service.bus.drain()
    assert ended["pop_id"] == f"test:{call_id}" and ended["outcome"] == "answered"
    assert await _rows(service) == 1  # the spy leg is no call
    record = await service.calls.get("test", result.linkedid)
    assert record is not None and record.outcome == "answered"
    assert record.talk_seconds == pytest.approx(60.0, abs=0.01)
    assert len(talking.of_type("pop")) == 1 and other.of_type("pop") == []
    assert service.hub.calls == {}


async def test_recording_mute_is_confirmed_by_the_pbx(
    agents: Service, ami: AmiServer, pbx: Pbx, open_console, observer: RawAmiClient
) -> None:
    console = await open_console("agent1001")
    link = agents.pbx_links["test"]
    call = _answered_call(pbx, talk=60)
    try:
        call_id = await _talking(console)
        await link.recording_start(call_id, "ignored-name.wav")
        await link.recording_mute(call_id, True)
        await link.recording_mute(call_id, False)
        await link.recording_stop(call_id)
        sent = await observer.fence()
        events = [m for m in sent if (header(m, "Event") or "").startswith("MixMonitor")]
        assert [(header(m, "Event"), header(m, "State")) for m in events] == [
            ("MixMonitorStart", None),
            ("MixMonitorMute", "1"),
            ("MixMonitorMute", "0"),
            ("MixMonitorStop", None),
        ]
        caller = link.tracker.caller_channel(call_id)
        assert all(header(m, "Channel") == caller for m in events)
        mutes = _sent(ami, "MixMonitorMute")
        assert [(a["Channel"], a["State"]) for a in mutes] == [(caller, "1"), (caller, "0")]
        assert _sent(ami, "MixMonitor")[0]["File"] == f"test-{call_id}.wav"
    finally:
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)


INVALID: list[tuple[str, Callable[[Any, str], Awaitable[None]]]] = [
    ("number with CR/LF", lambda t, c: t.originate(AGENT_1001, "13800138000\r\nAction: Hangup", "c2d-x1")),
    ("number with letters", lambda t, c: t.originate(AGENT_1001, "138OO138000", "c2d-x2")),
    ("call id with LF", lambda t, c: t.originate(AGENT_1001, "13800138000", "c2d\nx")),
    ("queue with spaces", lambda t, c: t.login(AGENT_1001, "sup port")),
    ("queue with CR/LF", lambda t, c: t.logout(AGENT_1001, "support\r\nQueue: sales")),
    ("interface with comma", lambda t, c: t.set_paused("Local/1001@agents/n,x", True, "lunch")),
    ("pause reason with LF", lambda t, c: t.set_paused(AGENT_1001, True, "lunch\nAction: QueueRemove")),
    ("pause reason too long", lambda t, c: t.set_paused(AGENT_1001, True, "x" * 300)),
    ("transfer target with LF", lambda t, c: t.blind_transfer(c, "1002\nContext: admin")),
    ("transfer target with comma", lambda t, c: t.blind_transfer(c, "1002,1")),
    ("spy mode unknown", lambda t, c: t.spy(SUPERVISOR, AGENT_1001, "listen,B")),
    ("supervisor with comma", lambda t, c: t.spy("PJSIP/2001,q", AGENT_1001, "listen")),
    ("call id with CR/LF", lambda t, c: t.recording_mute("1.2\r\nAction: Hangup", True)),
    ("call id with spaces", lambda t, c: t.hangup("1.2 x")),
]


async def test_invalid_values_are_refused_with_invalid_and_nothing_reaches_the_pbx(
    agents: Service, ami: AmiServer, pbx: Pbx, open_console
) -> None:
    console = await open_console("agent1001")
    link = agents.pbx_links["test"]
    call = _answered_call(pbx, talk=60)
    try:
        call_id = await _talking(console)
        before = len(_not_pings(ami))
        for what, act in INVALID:
            with pytest.raises(TelephonyError) as refused:
                await act(link, call_id)
            assert refused.value.code == "invalid", what
        with pytest.raises(TelephonyError) as missing:
            await link.hangup("no-such-call")
        assert missing.value.code == "not_found"
        await asyncio.sleep(0.2)
        assert _not_pings(ami)[before:] == []
        assert link.tracker.call_of_agent(AGENT_1001) == call_id  # the call is untouched
    finally:
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
