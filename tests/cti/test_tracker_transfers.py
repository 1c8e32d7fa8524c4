"""Synthetic AMI events for transfers, hold and Local optimisation (Asterisk 12+ field names)."""

from __future__ import annotations

import pytest

from crm_core.events import CallAnswered, CallEnded, CallHoldChanged, CallOffered, CallQueued, CallTransferred
from cti.tracker import CallTracker, agent_hook
from tests.cti.test_tracker_calls import PHONE1, PHONE2, TRUNK, dial, ev
from tests.cti.test_tracker_rules import (
    CALLER,
    LINKED,
    caller,
    chan,
    feed_all,
    local_pair,
    member,
    start_call,
)

AGENTS = agent_hook(
    ["PJSIP/1001", "PJSIP/1002", "Local/1001@agents/n", "Local/1002@agents/n", "Local/1003@agents/n"]
)
A1, A2, A3 = "Local/1001@agents/n", "Local/1002@agents/n", "Local/1003@agents/n"


def of(events: list, kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def answered_direct_call() -> list[dict]:
    return [
        ev("Newchannel", *TRUNK, "7.0", ChannelState="4"),
        dial("DialBegin", TRUNK, PHONE1, "7.0"),
        dial("DialEnd", TRUNK, PHONE1, "7.0", DialStatus="ANSWER"),
    ]


def attended(transferee: tuple[str, str], target: tuple[str, str], target_linked: str) -> dict:
    """AttendedTransfer as Asterisk 22 sends it (the header groups the tracker reads)."""
    return {
        "Event": "AttendedTransfer",
        "Result": "Success",
        "OrigTransfererChannel": PHONE1[1],
        "OrigTransfererUniqueid": PHONE1[0],
        "OrigTransfererLinkedid": "7.0",
        "OrigBridgeUniqueid": "bridge-1",
        "SecondTransfererChannel": "PJSIP/1001-00000009",
        "SecondTransfererUniqueid": "8.0",
        "SecondBridgeUniqueid": "bridge-2",
        "TransfereeChannel": transferee[1],
        "TransfereeUniqueid": transferee[0],
        "TransfereeLinkedid": "7.0",
        "TransferTargetChannel": target[1],
        "TransferTargetUniqueid": target[0],
        "TransferTargetLinkedid": target_linked,
        "IsExternal": "No",
        "DestType": "Bridge",
        "DestBridgeUniqueid": "bridge-1",
    }


def test_given_atxfer_consultation_in_the_same_call_then_transferred_and_hold_summed() -> None:
    tracker = CallTracker("lab", AGENTS)
    events = feed_all(tracker, answered_direct_call(), received_at=0.0)
    events += tracker.feed(ev("Hold", *TRUNK, "7.0", MusicClass="default"), 10.0)
    events += tracker.feed(ev("Hold", *TRUNK, "7.0", MusicClass="default"), 11.0)  # duplicate
    events += tracker.feed(dial("DialBegin", PHONE1, PHONE2, "7.0"), 12.0)
    events += tracker.feed(dial("DialEnd", PHONE1, PHONE2, "7.0", DialStatus="ANSWER"), 14.0)
    events += tracker.feed(attended(TRUNK, PHONE2, "7.0"), 18.0)
    events += tracker.feed(ev("Unhold", *TRUNK, "7.0"), 20.0)
    events += feed_all(tracker, [ev("Hangup", *PHONE1, "7.0"), ev("Hangup", *PHONE2, "7.0")], 30.0)
    events += tracker.feed(ev("Hangup", *TRUNK, "7.0"), 30.0)

    consult = of(events, CallOffered)[1]
    assert (consult.agent, consult.reason, consult.transferred_by) == ("PJSIP/1002", "transfer", "PJSIP/1001")
    [transferred] = of(events, CallTransferred)
    assert (transferred.from_agent, transferred.target, transferred.kind) == (
        "PJSIP/1001",
        "PJSIP/1002",
        "attended",
    )
    holds = of(events, CallHoldChanged)
    assert [(h.on_hold, h.at, h.agent) for h in holds] == [
        (True, 10.0, "PJSIP/1001"),
        (False, 20.0, "PJSIP/1002"),
    ]
    [ended] = of(events, CallEnded)
    assert (ended.outcome, ended.agent, ended.transferred, ended.hold_seconds) == (
        "answered",
        "PJSIP/1002",
        True,
        10.0,
    )
    assert ended.agents == ("PJSIP/1001", "PJSIP/1002")


def test_given_attended_transfer_from_a_separate_consult_call_then_target_takes_over_the_customer_call() -> (
    None
):
    tracker = CallTracker("lab", AGENTS)
    consult, target = ("8.0", "PJSIP/1001-00000009"), ("8.1", "PJSIP/1002-0000000a")
    events = feed_all(tracker, answered_direct_call())
    events += feed_all(tracker, [dial("DialBegin", consult, target, "8.0", CallerIDNum="1001")])
    events += feed_all(tracker, [dial("DialEnd", consult, target, "8.0", DialStatus="ANSWER")])
    events += feed_all(tracker, [attended(TRUNK, target, "8.0")])
    events += feed_all(tracker, [ev("Hangup", *consult, "8.0"), ev("Hangup", *PHONE1, "7.0")])
    events += feed_all(tracker, [ev("Hangup", *target, "7.0"), ev("Hangup", *TRUNK, "7.0")])

    internal, customer = (e for e in of(events, CallEnded))
    assert (internal.call_id, internal.direction) == ("8.0", "internal")
    assert customer.call_id == "7.0" and customer.agent == "PJSIP/1002" and customer.transferred
    assert [a.agent for a in of(events, CallAnswered) if a.call_id == "7.0"] == ["PJSIP/1001", "PJSIP/1002"]
    assert tracker.active_calls == 0


def answered_queue_call() -> list[dict]:
    return [
        *start_call(),
        *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
        member("AgentCalled", "1001", "1.2"),
        member("AgentConnect", "1001", "1.2", HoldTime="2", RingTime="1"),
        caller("BridgeEnter", BridgeUniqueid="b-1"),
    ]


def agent_gone() -> list[dict]:
    return [
        caller("BridgeLeave", BridgeUniqueid="b-1"),
        chan("Hangup", "1.2", "Local/1001@agents-00000001;1"),
        chan("Hangup", "1.3", "Local/1001@agents-00000001;2"),
    ]


def test_given_redirect_of_the_caller_to_another_agent_then_redirect_transfer_and_transfer_offer() -> None:
    tracker = CallTracker("lab", AGENTS)
    events = feed_all(
        tracker,
        [
            *answered_queue_call(),
            *agent_gone(),  # Redirect: no transfer event, the agent's legs go
            caller(
                "Newexten",
                Context="transfer",
                Exten="1003",
                Application="Dial",
                AppData="Local/1003@agents/n,20",
            ),
            *local_pair("1.6", "1.7", "Local/1003@agents-00000003"),
            caller(
                "DialBegin",
                DestChannel="Local/1003@agents-00000003;1",
                DestUniqueid="1.6",
                DestLinkedid=LINKED,
                DialString="Local/1003@agents/n",
            ),
            caller("DialEnd", DestUniqueid="1.6", DestLinkedid=LINKED, DialStatus="ANSWER"),
        ],
    )
    [transferred] = of(events, CallTransferred)
    assert (transferred.from_agent, transferred.target, transferred.kind) == (A1, A3, "redirect")
    offer = of(events, CallOffered)[-1]
    assert (offer.agent, offer.reason, offer.transferred_by) == (A3, "transfer", A1)
    assert of(events, CallAnswered)[-1].agent == A3
    assert tracker.call_of_agent(A3) == LINKED and tracker.call_of_agent(A1) is None
    assert tracker.agent_channel(LINKED, A3) == "Local/1003@agents-00000003;2"


@pytest.mark.parametrize("with_blind_event", [True, False])
def test_given_transfer_to_a_queue_then_queued_again_and_offers_say_transfer(with_blind_event: bool) -> None:
    tracker = CallTracker("lab", AGENTS)
    blind = {
        "Event": "BlindTransfer",
        "Result": "Success",
        "TransfererChannel": "Local/1001@agents-00000001;1",
        "TransfererUniqueid": "1.2",
        "TransfererLinkedid": LINKED,
        "TransfereeChannel": "Local/5550001@inbound-00000000;2",
        "TransfereeUniqueid": CALLER,
        "TransfereeLinkedid": LINKED,
        "IsExternal": "Yes",
        "Context": "transfer",
        "Extension": "800",
    }
    events = feed_all(
        tracker,
        [
            *answered_queue_call(),
            *([blind] if with_blind_event else []),
            *agent_gone(),
            caller("QueueCallerJoin", Queue="billing", Position="1", Count="1"),
            *local_pair("1.4", "1.5", "Local/1002@agents-00000002"),
            {**member("AgentCalled", "1002", "1.4"), "Queue": "billing"},
        ],
    )
    [transferred] = of(events, CallTransferred)
    expected = ("blind", "800") if with_blind_event else ("redirect", "queue:billing")
    assert (transferred.kind, transferred.target, transferred.from_agent) == (*expected, A1)
    assert [q.queue for q in of(events, CallQueued)] == ["support", "billing"]
    offer = of(events, CallOffered)[-1]
    assert (offer.agent, offer.reason, offer.transferred_by, offer.queue) == (A2, "transfer", A1, "billing")


def test_given_hold_never_released_then_hold_counted_until_the_end() -> None:
    tracker = CallTracker("lab", AGENTS)
    feed_all(tracker, answered_direct_call(), 0.0)
    tracker.feed(ev("Hold", *PHONE1, "7.0"), 5.0)
    events = feed_all(tracker, [ev("Hangup", *PHONE1, "7.0"), ev("Hangup", *TRUNK, "7.0")], 9.0)
    assert events[-1].hold_seconds == 4.0


def test_given_local_pair_optimised_away_then_caller_lives_on_and_call_ends_once() -> None:
    tracker = CallTracker("lab", AGENTS)
    trunk_uid, trunk = "1900000000.9", "PJSIP/trunk-00000009"
    optimise = {
        "Event": "LocalOptimizationBegin",
        "LocalOneChannel": "Local/5550001@inbound-00000000;1",
        "LocalOneUniqueid": "1900000000.0",
        "LocalTwoChannel": "Local/5550001@inbound-00000000;2",
        "LocalTwoUniqueid": CALLER,
        "SourceChannel": trunk,
        "SourceUniqueid": trunk_uid,
        "DestUniqueId": CALLER,
        "Id": "0",
    }
    events = feed_all(
        tracker,
        [
            chan("Newchannel", trunk_uid, trunk, ChannelState="6"),
            *answered_queue_call(),
            optimise,
            {**optimise, "Event": "LocalOptimizationEnd", "Success": "Yes"},
            chan("Hangup", "1900000000.0", "Local/5550001@inbound-00000000;1"),
            chan("Hangup", CALLER, "Local/5550001@inbound-00000000;2"),
        ],
    )
    assert of(events, CallEnded) == [] and tracker.caller_channel(LINKED) == trunk
    assert tracker.agent_channel(LINKED, A1) == "Local/1001@agents-00000001;2"
    events += feed_all(tracker, [*agent_gone()[1:], chan("Hangup", trunk_uid, trunk)])
    assert len(of(events, CallOffered)) == 1
    [ended] = of(events, CallEnded)
    assert (ended.outcome, ended.agent) == ("answered", A1)
