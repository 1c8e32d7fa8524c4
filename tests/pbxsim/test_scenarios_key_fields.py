"""Scenarios without a recorded trace: the fields a CTI tracker keys on must hold (Linkedid shared
by every leg, Local ;1/;2 pairing, Interface/MemberName on Agent* events, DialStatus, Reason)."""

from __future__ import annotations

import asyncio

from pbxsim.scenarios import BY_STRATEGY, QueueCall, play
from pbxsim.scenarios_direct import direct_call
from pbxsim.state import IN_USE
from tests.pbxsim.amiclient import Msg, header
from tests.pbxsim.conftest import MakeServer
from tests.pbxsim.sim import Recorder, recording, support_pbx


def _of(events: list[Msg], name: str) -> list[Msg]:
    return [e for e in events if header(e, "Event") == name]


def _assert_one_call(events: list[Msg], linkedid: str) -> None:
    """Every channel of the call carries its Linkedid, and Local halves come in ;1/;2 pairs."""
    created = _of(events, "Newchannel")
    assert created and {header(e, "Linkedid") for e in created} == {linkedid}
    local = [header(e, "Channel") or "" for e in created if (header(e, "Channel") or "").startswith("Local/")]
    assert sorted(n[:-2] for n in local if n.endswith(";1")) == sorted(
        n[:-2] for n in local if n.endswith(";2")
    )
    assert len(_of(events, "Hangup")) == len(created)


async def _settled(rec: Recorder) -> list[Msg]:
    await rec.action(("Action", "Ping"), ("ActionID", f"fence-{len(rec.messages)}"))
    return list(rec.messages)


async def test_given_ringall_then_every_free_member_rung_at_once_and_losers_cancelled(
    make_server: MakeServer,
) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=50, strategy="ringall", agents=3)
    pbx.phones.update({"Local/1001@agents/n": None, "Local/1002@agents/n": 3.0, "Local/1003@agents/n": 2.0})
    async with recording(server) as rec:
        result = await asyncio.wait_for(
            play(pbx, QueueCall("5550001", "A", "support", BY_STRATEGY, talk_seconds=1)), 5
        )
        events = await _settled(rec)

    called = _of(events, "AgentCalled")
    assert sorted(header(e, "Interface") for e in called) == [f"Local/100{i}@agents/n" for i in (1, 2, 3)]
    names = [header(e, "Event") for e in events]
    assert max(i for i, n in enumerate(names) if n == "AgentCalled") < names.index(
        "DialEnd", names.index("AgentCalled")
    )
    assert header(_of(events, "AgentConnect")[0], "MemberName") == "Agent 1003"
    assert sorted(header(e, "DialStatus") for e in _of(events, "DialEnd")) == [
        "ANSWER",
        "ANSWER",
        "CANCEL",
        "CANCEL",
    ]
    assert _of(events, "AgentRingNoAnswer") == []
    assert result.agent_interface == "Local/1003@agents/n"
    _assert_one_call(events, result.linkedid)


async def test_given_rrmemory_then_successive_calls_go_round_the_members(make_server: MakeServer) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=100, agents=3)
    spec = QueueCall("5550001", "A", "support", BY_STRATEGY, talk_seconds=1)
    agents = [(await asyncio.wait_for(play(pbx, spec), 5)).agent_interface for _ in range(4)]

    assert agents == [f"Local/100{i}@agents/n" for i in (1, 2, 3, 1)]
    assert [pbx.queue("support").members[a].calls_taken for a in agents[:3]] == [2, 1, 1]


async def test_given_busy_agent_then_queue_skips_it(make_server: MakeServer) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=100)
    pbx.device_status("Local/1001@agents/n", IN_USE, pbx.now())
    async with recording(server) as rec:
        await asyncio.wait_for(
            play(pbx, QueueCall("5550001", "A", "support", BY_STRATEGY, talk_seconds=1)), 5
        )
        events = await _settled(rec)

    assert [header(e, "Interface") for e in _of(events, "AgentCalled")] == ["Local/1002@agents/n"]


async def test_given_all_paused_then_caller_abandons_after_patience(make_server: MakeServer) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=100)
    for member in pbx.queue("support").members.values():
        member.paused, member.paused_reason = True, "meeting"
    async with recording(server) as rec:
        spec = QueueCall("5550001", "A", "support", BY_STRATEGY, patience=8)
        result = await asyncio.wait_for(play(pbx, spec), 5)
        events = await _settled(rec)

    abandon = _of(events, "QueueCallerAbandon")[0]
    assert header(abandon, "HoldTime") == "8" and not result.answered and result.end_reason == "abandon"
    assert _of(events, "AgentCalled") == [] and pbx.queue("support").abandoned == 1


async def test_given_hangup_action_while_agent_rings_then_cancel_and_abandon(make_server: MakeServer) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=20)
    pbx.phones["Local/1001@agents/n"] = None
    async with recording(server) as rec:
        call = asyncio.create_task(play(pbx, QueueCall("5550001", "A", "support", BY_STRATEGY)))
        called = await rec.event("AgentCalled")
        await rec.action(
            ("Action", "Hangup"), ("ActionID", "h"), ("Channel", header(called, "Channel") or "")
        )
        result = await asyncio.wait_for(call, 5)
        events = await _settled(rec)

    assert [header(e, "DialStatus") for e in _of(events, "DialEnd")][-1] == "CANCEL"
    assert _of(events, "QueueCallerAbandon") and not result.answered
    _assert_one_call(events, result.linkedid)


async def test_given_direct_dial_then_dialstatus_for_answer_busy_and_noanswer(
    make_server: MakeServer,
) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=100)
    async with recording(server) as rec:
        linked = [
            await asyncio.wait_for(direct_call(pbx, "5550001", "PJSIP/1001", outcome=outcome), 5)
            for outcome in ("ANSWER", "BUSY", "NOANSWER")
        ]
        events = await _settled(rec)

    statuses = [header(e, "DialStatus") for e in _of(events, "DialEnd")]
    assert statuses == ["ANSWER", "BUSY", "NOANSWER"]
    begins = _of(events, "DialBegin")
    assert all((header(e, "DestChannel") or "").startswith("PJSIP/1001-") for e in begins)
    for linkedid in linked:
        _assert_one_call([e for e in events if header(e, "Linkedid") == linkedid], linkedid)
    assert [header(e, "Cause") for e in _of(events, "Hangup")][2:4] == ["17", "17"]


async def test_given_hold_during_talk_then_hold_and_unhold_on_the_agent_leg(make_server: MakeServer) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=100)
    async with recording(server) as rec:
        spec = QueueCall("5550001", "A", "support", BY_STRATEGY, talk_seconds=6, hold_after=2, hold_seconds=2)
        await asyncio.wait_for(play(pbx, spec), 5)
        events = await _settled(rec)

    hold, unhold = _of(events, "Hold")[0], _of(events, "Unhold")[0]
    assert (
        header(hold, "Channel")
        == header(unhold, "Channel")
        == header(_of(events, "AgentConnect")[0], "DestChannel")
    )
    assert header(hold, "MusicClass") == "default"
    names = [header(e, "Event") for e in events]
    assert (
        names.index("AgentConnect")
        < names.index("Hold")
        < names.index("Unhold")
        < names.index("AgentComplete")
    )


async def _talking(rec: Recorder, pbx_call: asyncio.Task[object]) -> str:
    connect = await rec.event("AgentConnect")
    return header(connect, "DestChannel") or ""


async def test_given_atxfer_then_consult_leg_shares_linkedid_and_attended_transfer_completes(
    make_server: MakeServer,
) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=50)
    async with recording(server) as rec:
        call = asyncio.create_task(
            play(pbx, QueueCall("5550001", "A", "support", BY_STRATEGY, talk_seconds=30))
        )
        agent = await _talking(rec, call)
        reply = await rec.action(
            ("Action", "Atxfer"), ("ActionID", "x"), ("Channel", agent), ("Exten", "1002")
        )
        xfer = await rec.event("AttendedTransfer")
        result = await asyncio.wait_for(call, 5)
        events = await _settled(rec)

    assert header(reply[0], "Message") == "Atxfer successfully queued"
    assert header(xfer, "OrigTransfererChannel") == agent and header(xfer, "DestType") == "Bridge"
    assert (header(xfer, "TransferTargetChannel") or "").startswith("Local/1002@agents-")
    assert header(_of(events, "AgentComplete")[0], "Reason") == "transfer"
    assert result.agent_interface == "Local/1002@agents/n"
    _assert_one_call(events, result.linkedid)


async def test_given_redirect_of_caller_then_next_agent_dialled_from_the_caller_leg(
    make_server: MakeServer,
) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=50)
    async with recording(server) as rec:
        call = asyncio.create_task(
            play(pbx, QueueCall("5550001", "A", "support", BY_STRATEGY, talk_seconds=2))
        )
        connect = await rec.event("AgentConnect")
        caller = header(connect, "Channel") or ""
        target = [("Channel", caller), ("Context", "transfer"), ("Exten", "1002"), ("Priority", "1")]
        reply = await rec.action(("Action", "Redirect"), ("ActionID", "r"), *target)
        result = await asyncio.wait_for(call, 5)
        events = await _settled(rec)

    assert header(reply[0], "Message") == "Redirect successful"
    second_dial = _of(events, "DialBegin")[-1]
    assert header(second_dial, "Channel") == caller and header(second_dial, "DialString") == "1002@agents/n"
    assert result.agent_interface == "Local/1002@agents/n"
    _assert_one_call(events, result.linkedid)


async def test_given_blind_transfer_to_a_queue_then_caller_joins_it(make_server: MakeServer) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=50)
    pbx.add_queue("sales")
    pbx.add_members("sales", [("Local/1005@agents/n", "Agent 1005")])
    async with recording(server) as rec:
        call = asyncio.create_task(
            play(pbx, QueueCall("5550001", "A", "support", BY_STRATEGY, talk_seconds=2))
        )
        agent = await _talking(rec, call)
        await rec.action(
            ("Action", "BlindTransfer"), ("ActionID", "b"), ("Channel", agent), ("Exten", "sales")
        )
        result = await asyncio.wait_for(call, 5)
        events = await _settled(rec)

    assert [header(e, "Queue") for e in _of(events, "QueueCallerJoin")] == ["support", "sales"]
    assert [header(e, "Reason") for e in _of(events, "AgentComplete")] == ["transfer", "caller"]
    assert result.agent_interface == "Local/1005@agents/n"
    _assert_one_call(events, result.linkedid)


async def test_given_callback_originate_then_customer_first_then_queue(make_server: MakeServer) -> None:
    server = await make_server()
    support_pbx(server, speed=50)
    async with recording(server) as rec:
        originate = [
            ("Action", "Originate"), ("ActionID", "cb"), ("Channel", "Local/5559002@pstn"),
            ("Context", "callback"), ("Exten", "s"), ("Priority", "1"), ("Async", "true"),
        ]  # fmt: skip
        queued, response = await rec.action(*originate, replies=2)
        complete = await rec.event("AgentComplete")
        events = await _settled(rec)

    assert (
        header(queued, "Message") == "Originate successfully queued"
        and header(response, "Response") == "Success"
    )
    names = [header(e, "Event") for e in events]
    assert names.index("OriginateResponse") < names.index("QueueCallerJoin") < names.index("AgentCalled")
    assert header(complete, "Channel") == header(response, "Channel")
    assert {header(e, "Linkedid") for e in _of(events, "Newchannel")} == {header(response, "Uniqueid")}


async def test_given_chanspy_originate_then_spy_start_and_stop_name_the_agent_channel(
    make_server: MakeServer,
) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=50)
    async with recording(server) as rec:
        call = asyncio.create_task(
            play(pbx, QueueCall("5550001", "A", "support", BY_STRATEGY, talk_seconds=10))
        )
        agent = await _talking(rec, call)
        spy = [
            ("Action", "Originate"), ("ActionID", "s"), ("Channel", "PJSIP/2001"),
            ("Application", "ChanSpy"), ("Data", f"{agent},q"), ("Async", "true"),
        ]  # fmt: skip
        await rec.action(*spy)
        start, stop = await rec.event("ChanSpyStart"), await rec.event("ChanSpyStop")
        await asyncio.wait_for(call, 5)

    assert header(start, "SpyeeChannel") == header(stop, "SpyeeChannel") == agent
    assert (header(start, "SpyerChannel") or "").startswith("PJSIP/2001-")
