"""Queue calls played by the simulator, compared event by event with the recorded s01 and s02a traces."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import CallResult, QueueCall, queue_call, run_concurrently
from tests.pbxsim.amiclient import Msg, RawAmiClient, header, keys, live_events, load_trace
from tests.pbxsim.conftest import TRACE_CHANNELVARS, MakeServer

Connect = Callable[[AmiServer], Awaitable[RawAmiClient]]

# The events a call tracker reads, plus the channel/bridge lifecycle around them.
CALL_EVENTS = {
    "Newchannel", "Newstate", "LocalBridge", "DialBegin", "DialEnd", "QueueCallerJoin", "AgentCalled",
    "QueueMemberStatus", "QueueCallerLeave", "QueueCallerAbandon", "AgentConnect", "BridgeCreate",
    "BridgeEnter", "BridgeLeave", "BridgeDestroy", "AgentComplete", "Hangup",
}  # fmt: skip
AGENT = "Local/1001@agents/n"


async def _play(
    make_server: MakeServer, connect: Connect, *, speed: float = 200, **call: object
) -> tuple[CallResult, list[Msg]]:
    """Play one call to a logged-in raw client and return the events it received."""
    server = await make_server(channelvars=TRACE_CHANNELVARS, timestampevents=bool(call.pop("stamps", False)))
    client = await connect(server)
    await client.login()
    args: dict[str, object] = {
        "caller_number": "5550001", "caller_name": "Alice Example", "queue": "support",
        "agent_interface": AGENT, "member_name": "Agent 1001",
        "ring_seconds": 1, "talk_seconds": 3, "wait_seconds": 2,
    }  # fmt: skip
    args.update(call)
    result = await asyncio.wait_for(queue_call(Pbx(server, speed=speed), **args), 5)  # type: ignore[arg-type]
    return result, [m for m in await client.fence() if header(m, "Event")]


def _assert_same_shape(ours: list[Msg], trace: list[Msg]) -> None:
    assert [header(m, "Event") for m in ours] == [header(m, "Event") for m in trace]
    for mine, recorded in zip(ours, trace, strict=True):
        assert keys(mine) == keys(recorded), header(mine, "Event")


async def test_given_answered_queue_call_then_events_match_s01_in_order_and_headers(
    make_server: MakeServer, connect: Connect
) -> None:
    result, events = await _play(make_server, connect)

    recorded = live_events(load_trace("s01_inbound_answered"), CALL_EVENTS)
    _assert_same_shape(live_events(events, CALL_EVENTS), recorded)
    by_name = {header(e, "Event"): e for e in events}
    assert header(by_name["AgentCalled"], "DestChannel") == header(by_name["LocalBridge"], "LocalOneChannel")
    assert header(by_name["AgentConnect"], "HoldTime") == "3"
    assert header(by_name["AgentConnect"], "RingTime") == "1"
    assert header(by_name["AgentComplete"], "TalkTime") == "3"
    assert header(by_name["AgentComplete"], "Reason") == "caller"
    assert {header(e, "Linkedid") for e in events if header(e, "Linkedid")} == {result.linkedid}
    assert header(by_name["AgentCalled"], "Uniqueid") == result.caller_uniqueid
    statuses = [header(e, "Status") for e in events if header(e, "Event") == "QueueMemberStatus"]
    assert statuses == ["6", "2", "1"]


async def test_given_no_agent_then_abandon_matches_s02a(make_server: MakeServer, connect: Connect) -> None:
    result, events = await _play(make_server, connect, agent_interface=None, wait_seconds=8)

    recorded = live_events(load_trace("s02a_abandon_agents_paused"), CALL_EVENTS)
    _assert_same_shape(live_events(events, CALL_EVENTS), recorded)
    abandon = next(e for e in events if header(e, "Event") == "QueueCallerAbandon")
    assert [header(abandon, k) for k in ("Position", "OriginalPosition", "HoldTime")] == ["1", "1", "8"]
    assert not result.answered and result.called_at is None and result.ended_at - result.joined_at == 8


async def test_given_caller_hangs_up_while_agent_rings_then_dial_cancelled_and_abandoned(
    make_server: MakeServer, connect: Connect
) -> None:
    result, events = await _play(make_server, connect, answer=False)

    names = [header(e, "Event") for e in events]
    assert "AgentConnect" not in names and "AgentComplete" not in names
    dial_ends = [header(e, "DialStatus") for e in events if header(e, "Event") == "DialEnd"]
    assert dial_ends == ["ANSWER", "CANCEL"]
    assert names.index("QueueCallerAbandon") < names.index("QueueCallerLeave")
    assert names.count("Hangup") == 4 and not result.answered and result.answered_at is None


async def test_given_chinese_caller_name_then_it_arrives_intact(
    make_server: MakeServer, connect: Connect
) -> None:
    _, events = await _play(make_server, connect, caller_name="张伟（VIP）")

    called = next(e for e in events if header(e, "Event") == "AgentCalled")
    assert header(called, "CallerIDName") == "张伟（VIP）"
    assert header(called, "DestCallerIDName") == "张伟（VIP）"


async def test_given_speed_100_then_timestamps_follow_nominal_durations(
    make_server: MakeServer, connect: Connect
) -> None:
    started = asyncio.get_running_loop().time()
    result, events = await _play(make_server, connect, speed=100, stamps=True, wait_seconds=5, ring_seconds=2)
    elapsed = asyncio.get_running_loop().time() - started

    stamp = {header(e, "Event"): float(header(e, "Timestamp") or "nan") for e in events}
    assert stamp["AgentCalled"] - stamp["QueueCallerJoin"] == pytest.approx(5, abs=0.01)
    assert stamp["AgentConnect"] - stamp["QueueCallerJoin"] == pytest.approx(7, abs=0.01)
    assert stamp["AgentComplete"] - stamp["AgentConnect"] == pytest.approx(3, abs=0.01)
    assert stamp["QueueCallerJoin"] == pytest.approx(result.joined_at, abs=1e-6)
    assert stamp["AgentConnect"] == pytest.approx(result.answered_at, abs=1e-6)
    assert elapsed < 1.5
    assert all(keys(e)[2] == "Timestamp" for e in events if e[0][1] != "FullyBooted")


async def test_given_channelvars_then_one_chanvariable_per_var_in_every_block(
    make_server: MakeServer, connect: Connect
) -> None:
    _, events = await _play(make_server, connect, variables={"CRM_CALLID": "crm-42", "SCENARIO": "s"})

    called = next(e for e in events if header(e, "Event") == "AgentCalled")
    expected = ["IVR_CHOICE=", "CRM_CALLID=crm-42", "SCENARIO=s"]
    assert [v for k, v in called if k == "ChanVariable"] == expected
    assert [v for k, v in called if k == "DestChanVariable"] == expected
    bridge = next(e for e in events if header(e, "Event") == "LocalBridge")
    assert [k for k, _ in bridge].count("LocalOneChanVariable") == 3
    assert [k for k, _ in bridge].count("LocalTwoChanVariable") == 3


async def test_given_no_channelvars_then_no_chanvariable_headers(server: AmiServer, connect: Connect) -> None:
    client = await connect(server)
    await client.login()
    await asyncio.wait_for(queue_call(Pbx(server, speed=500), "5550001", "A", "support", AGENT, "Agent"), 5)

    events = await client.fence()
    assert events and not any("ChanVariable" in k for e in events for k, _ in e)


async def test_given_events_off_then_session_gets_replies_but_no_events(
    server: AmiServer, connect: Connect
) -> None:
    quiet, loud = await connect(server), await connect(server)
    assert [header(m, "Event") for m in await quiet.login(events="off")] == [None, "FullyBooted"]
    await loud.login()
    await asyncio.wait_for(queue_call(Pbx(server, speed=500), "5550001", "A", "support", None), 5)

    assert await quiet.fence() == []
    assert any(header(m, "Event") == "QueueCallerAbandon" for m in await loud.fence())


async def test_given_concurrent_calls_then_no_shared_channels_or_ids(
    server: AmiServer, connect: Connect
) -> None:
    client = await connect(server)
    await client.login()
    calls = [
        QueueCall(f"555000{i}", f"Caller {i}", "support", f"Local/100{i}@agents/n", f"Agent 100{i}", 1, 2)
        for i in range(1, 4)
    ]
    results = await asyncio.wait_for(run_concurrently(Pbx(server, speed=200), calls), 5)
    events = await client.fence()

    created = [e for e in events if header(e, "Event") == "Newchannel"]
    assert len(created) == 12
    assert len({header(e, "Channel") for e in created}) == 12
    assert len({header(e, "Uniqueid") for e in created}) == 12
    assert len({r.linkedid for r in results}) == 3
    joins = [e for e in events if header(e, "Event") == "QueueCallerJoin"]
    positions = [(header(e, "Position"), header(e, "Count")) for e in joins]
    assert positions == [("1", "1"), ("2", "2"), ("3", "3")]
    for result in results:
        own = [e for e in events if header(e, "Linkedid") == result.linkedid]
        assert sum(header(e, "Event") == "Hangup" for e in own) == 4


async def test_given_non_local_member_then_refused_before_any_event(server: AmiServer) -> None:
    with pytest.raises(ValueError):
        await queue_call(Pbx(server), "5550001", "A", "support", "PJSIP/1001", "Agent")
