"""Calls steered by the recorded actions, compared with the traces: the sequence of events a CTI
tracker reads and the header names of each (s03a failover, s04b blind transfer, s05a click-to-dial)."""

from __future__ import annotations

import asyncio

from pbxsim.scenarios import BY_STRATEGY, QueueCall, play
from tests.pbxsim.amiclient import Msg, header, keys, load_trace
from tests.pbxsim.conftest import TRACE_CHANNELVARS, MakeServer
from tests.pbxsim.sim import CTI_EVENTS, cti, names, recording, support_pbx

# The recording driver placed the inbound caller with an Originate of its own: not part of the call.
QUEUE_CALL_EVENTS = CTI_EVENTS - {"OriginateResponse"}


def _assert_same_shape(ours: list[Msg], recorded: list[Msg]) -> None:
    assert names(ours) == names(recorded)
    for mine, theirs in zip(ours, recorded, strict=True):
        assert keys(mine) == keys(theirs), header(theirs, "Event")


def _channel(events: list[Msg], prefix: str, half: str) -> str:
    return next(
        header(m, "Channel") or ""
        for m in events
        if header(m, "Event") == "Newchannel" and (header(m, "Channel") or "").startswith(prefix)
        and (header(m, "Channel") or "").endswith(half)
    )  # fmt: skip


async def test_given_ring_no_answer_then_autopause_and_next_agent_as_in_s03a(make_server: MakeServer) -> None:
    server = await make_server(channelvars=TRACE_CHANNELVARS)
    pbx = support_pbx(server, speed=20)
    pbx.phones["Local/1001@agents/n"] = None
    async with recording(server) as rec:
        spec = QueueCall("5550031", "Erin Failover", "support", BY_STRATEGY, talk_seconds=60, record=True)
        call = asyncio.create_task(play(pbx, spec))
        await rec.event("AgentConnect")
        agent_two = _channel(rec.messages, "Local/1002@agents", ";2")
        reply = await rec.action(("Action", "Hangup"), ("ActionID", "h1"), ("Channel", agent_two))
        result = await asyncio.wait_for(call, 5)
        await rec.action(("Action", "Ping"), ("ActionID", "fence"))
        events = cti(rec.messages, QUEUE_CALL_EVENTS)

    _assert_same_shape(events, cti(load_trace("s03a_ringnoanswer_failover"), QUEUE_CALL_EVENTS))
    assert header(reply[0], "Message") == "Channel Hungup"
    rna = next(e for e in events if header(e, "Event") == "AgentRingNoAnswer")
    assert header(rna, "RingTime") == "5000" and header(rna, "Interface") == "Local/1001@agents/n"
    pause = next(e for e in events if header(e, "Event") == "QueueMemberPause")
    assert [header(pause, k) for k in ("Paused", "PausedReason")] == ["1", "Auto-Pause"]
    complete = next(e for e in events if header(e, "Event") == "AgentComplete")
    assert header(complete, "Reason") == "agent" and header(complete, "MemberName") == "Agent 1002"
    assert {header(e, "Linkedid") for e in events if header(e, "Linkedid")} == {result.linkedid}
    assert pbx.state.channels == {} and pbx.state.bridges == {}


async def test_given_blind_transfer_action_then_events_as_in_s04b(make_server: MakeServer) -> None:
    server = await make_server(channelvars=TRACE_CHANNELVARS)
    pbx = support_pbx(server, speed=20)
    async with recording(server) as rec:
        spec = QueueCall(
            "5550042", "Hank Blind", "support", "Local/1001@agents/n", "Agent 1001", 1, 60, record=True
        )
        call = asyncio.create_task(play(pbx, spec))
        await rec.event("AgentConnect")
        agent_one = _channel(rec.messages, "Local/1001@agents", ";1")
        transfer = [("Channel", agent_one), ("Context", "transfer"), ("Exten", "1002")]
        reply = await rec.action(("Action", "BlindTransfer"), ("ActionID", "t1"), *transfer)
        await rec.event("BridgeEnter", count=4)
        inbound_one = _channel(rec.messages, "Local/5550042@inbound", ";1")
        await rec.action(("Action", "Hangup"), ("ActionID", "h1"), ("Channel", inbound_one))
        result = await asyncio.wait_for(call, 5)
        await rec.action(("Action", "Ping"), ("ActionID", "fence"))
        events = cti(rec.messages, QUEUE_CALL_EVENTS)

    recorded = cti(load_trace("s04b_transfer_blindtransfer"), QUEUE_CALL_EVENTS)
    assert sorted(names(events)) == sorted(names(recorded))  # same events; hangup interleaving may differ
    for event in ("BlindTransfer", "AgentComplete", "AgentCalled", "DialBegin"):
        assert keys(next(e for e in events if header(e, "Event") == event)) == keys(
            next(e for e in recorded if header(e, "Event") == event)
        )
    assert header(reply[0], "Message") == "Transfer succeeded"
    blind = next(e for e in events if header(e, "Event") == "BlindTransfer")
    assert [header(blind, k) for k in ("TransfererChannel", "Extension", "Context")] == [
        agent_one,
        "1002",
        "transfer",
    ]
    assert next(header(e, "Reason") for e in events if header(e, "Event") == "AgentComplete") == "transfer"
    assert {header(e, "Linkedid") for e in events if header(e, "Linkedid")} == {result.linkedid}
    assert result.agent_interface == "Local/1002@agents/n"


async def test_given_click_to_dial_originate_then_events_and_replies_as_in_s05a(
    make_server: MakeServer,
) -> None:
    server = await make_server(channelvars=TRACE_CHANNELVARS)
    pbx = support_pbx(server, speed=20)
    trace = load_trace("s05a_click_to_dial")
    async with recording(server) as rec:
        originate = [
            ("Action", "Originate"), ("ActionID", "o1"), ("Channel", "Local/1001@agentphone"),
            ("Context", "outbound"), ("Exten", "5559001"), ("Priority", "1"),
            ("CallerID", '"Agent 1001" <1001>'), ("Timeout", "20000"), ("Async", "true"),
            ("ChannelId", "c2d-1"), ("OtherChannelId", "c2d-2"),
            ("Variable", "__SCENARIO=s05a_click_to_dial"),
        ]  # fmt: skip
        queued, response = await rec.action(*originate, replies=2)
        await rec.event("LocalOptimizationEnd")
        listing = await rec.action(("Action", "CoreShowChannels"), ("ActionID", "l1"), replies=6)
        phone_one = _channel(rec.messages, "Local/1001@agents", ";1")
        replies = [
            await rec.action(("Action", "MixMonitor"), ("ActionID", "m1"), ("Channel", phone_one),
                             ("File", "x.wav")),
            await rec.action(("Action", "MixMonitorMute"), ("ActionID", "m2"), ("Channel", phone_one),
                             ("Direction", "both"), ("State", "1")),
            await rec.action(("Action", "MixMonitorMute"), ("ActionID", "m3"), ("Channel", phone_one),
                             ("Direction", "both"), ("State", "0")),
            await rec.action(("Action", "StopMixMonitor"), ("ActionID", "m4"), ("Channel", phone_one)),
        ]  # fmt: skip
        await rec.event("MixMonitorStop")
        customer_two = _channel(rec.messages, "Local/5559001@pstn", ";2")
        await rec.action(("Action", "Hangup"), ("ActionID", "h1"), ("Channel", customer_two), ("Cause", "16"))
        await rec.event("Hangup", Channel=phone_one.replace(";1", ";2"))
        events = cti(rec.messages)

    _assert_same_shape(events, cti(trace))
    assert header(queued, "Message") == "Originate successfully queued"
    assert [header(response, k) for k in ("Event", "Response", "Uniqueid", "Reason")] == [
        "OriginateResponse", "Success", "c2d-1", "4",
    ]  # fmt: skip
    recorded_list = [m for m in trace if header(m, "ActionID") == "s05a_click_to_dial-003"]
    assert names(listing) == names(recorded_list)
    assert [keys(m) for m in listing[1:]] == [keys(m) for m in recorded_list[1:]]
    assert all(r == [("Response", "Success"), ("ActionID", f"m{i}")] for i, [r] in enumerate(replies, 1))
    created = [e for e in events if header(e, "Event") == "Newchannel"]
    assert {header(e, "Linkedid") for e in created} == {"c2d-1"}
    assert header(created[1], "Uniqueid") == "c2d-2"
    assert pbx.state.channels == {}
