"""Synthetic AMI events (Asterisk 22 field names) for what no recorded trace shows:
busy members, queue timeouts, direct calls, click-to-dial and callback outcomes."""

from __future__ import annotations

import pytest

from crm_core.events import CallAnswered, CallEnded, CallOffered, CallQueued, OfferWithdrawn
from cti.tracker import CallTracker, agent_hook
from tests.cti.test_tracker_rules import (
    CALLER,
    LINKED,
    caller,
    end_call,
    feed_all,
    hangup,
    local_pair,
    member,
    start_call,
)

AGENTS = agent_hook(["PJSIP/1001", "PJSIP/1002", "Local/1003@agents/n"])


def ev(event: str, uid: str, channel: str, linked: str, **extra: str) -> dict:
    """A channel event of a PJSIP-style call (no Local hops)."""
    return {
        "Event": event,
        "Channel": channel,
        "Uniqueid": uid,
        "Linkedid": linked,
        "ChannelState": extra.pop("ChannelState", "6"),
        "CallerIDNum": extra.pop("CallerIDNum", "5550001"),
        "CallerIDName": "Alice Example",
        **extra,
    }


def dial(event: str, src: tuple[str, str], dest: tuple[str, str], linked: str, **extra: str) -> dict:
    return ev(
        event,
        src[0],
        src[1],
        linked,
        DestChannel=dest[1],
        DestUniqueid=dest[0],
        DestLinkedid=linked,
        DestChannelState="0",
        **extra,
    )


def kinds(events: list) -> list[tuple[str, str | None]]:
    return [(type(e).__name__, getattr(e, "reason", None) or getattr(e, "outcome", None)) for e in events]


TRUNK = ("7.0", "PJSIP/trunk-00000001")
PHONE1 = ("7.1", "PJSIP/1001-00000002")
PHONE2 = ("7.2", "PJSIP/1002-00000003")


def test_given_queue_member_busy_then_offer_withdrawn_busy_and_next_member_offered() -> None:
    tracker = CallTracker("lab")
    events = feed_all(
        tracker,
        [
            *start_call(),
            *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
            member("AgentCalled", "1001", "1.2"),
            caller("DialEnd", DestUniqueid="1.2", DestLinkedid=LINKED, DialStatus="BUSY"),
            member("AgentRingNoAnswer", "1001", "1.2", RingTime="0"),  # app_queue's own note, after
            *local_pair("1.4", "1.5", "Local/1002@agents-00000002"),
            member("AgentCalled", "1002", "1.4"),
            member("AgentConnect", "1002", "1.4", HoldTime="3", RingTime="2"),
        ],
    )
    assert kinds(events)[1:] == [
        ("CallOffered", "queue"),
        ("OfferWithdrawn", "busy"),
        ("CallOffered", "queue"),
        ("CallAnswered", None),
    ]


def test_given_queue_timeout_then_call_ends_no_answer() -> None:
    tracker = CallTracker("lab")
    events = feed_all(
        tracker,
        [
            *start_call(),
            caller(
                "QueueCallerLeave", Queue="support", Position="1", Count="0"
            ),  # Queue(support,,,,60) timed out
            caller("Newexten", Application="Playback", AppData="sorry"),
            *end_call(),
        ],
    )
    [ended] = [e for e in events if isinstance(e, CallEnded)]
    assert (ended.outcome, ended.abandon_position, ended.queue) == ("no_answer", None, "support")


def test_given_caller_hangs_up_while_agent_rings_then_abandoned_with_position() -> None:
    tracker = CallTracker("lab")
    events = feed_all(
        tracker,
        [
            *start_call(),
            *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
            member("AgentCalled", "1001", "1.2"),
            caller("QueueCallerAbandon", Queue="support", Position="1", OriginalPosition="1", HoldTime="4"),
            caller("QueueCallerLeave", Queue="support", Position="1", Count="0"),
            *end_call(("1.2", "Local/1001@agents-00000001;1"), ("1.3", "Local/1001@agents-00000001;2")),
        ],
    )
    assert kinds(events) == [
        ("CallQueued", None),
        ("CallOffered", "queue"),
        ("OfferWithdrawn", "caller_left"),
        ("CallEnded", "abandoned"),
    ]
    assert events[-1].abandon_position == 1 and events[-1].agents == ("Local/1001@agents/n",)


@pytest.mark.parametrize(
    ("status", "withdrawn", "outcome"),
    [("ANSWER", None, "answered"), ("NOANSWER", "no_answer", "no_answer"), ("BUSY", "busy", "busy")],
)
def test_given_direct_call_to_an_extension_then_outcome_follows_dial_status(
    status: str, withdrawn: str | None, outcome: str
) -> None:
    tracker = CallTracker("lab", AGENTS)
    events = feed_all(
        tracker,
        [
            ev("Newchannel", *TRUNK, "7.0", ChannelState="4"),
            dial("DialBegin", TRUNK, PHONE1, "7.0", DialString="1001"),
            dial("DialEnd", TRUNK, PHONE1, "7.0", DialStatus=status),
            ev("Hangup", *PHONE1, "7.0"),
            ev("Hangup", *TRUNK, "7.0"),
        ],
    )
    offered = events[0]
    assert isinstance(offered, CallOffered)
    assert (offered.agent, offered.reason, offered.queue, offered.direction) == (
        "PJSIP/1001",
        "direct",
        None,
        "inbound",
    )
    assert [e.reason for e in events if isinstance(e, OfferWithdrawn)] == ([withdrawn] if withdrawn else [])
    assert events[-1].outcome == outcome and len([e for e in events if isinstance(e, CallAnswered)]) == (
        status == "ANSWER"
    )


def test_given_direct_call_when_caller_hangs_up_while_ringing_then_abandoned() -> None:
    tracker = CallTracker("lab", AGENTS)
    events = feed_all(
        tracker,
        [
            ev("Newchannel", *TRUNK, "7.0", ChannelState="4"),
            dial("DialBegin", TRUNK, PHONE1, "7.0"),
            dial("DialEnd", TRUNK, PHONE1, "7.0", DialStatus="CANCEL"),
            ev("Hangup", *PHONE1, "7.0"),
            ev("Hangup", *TRUNK, "7.0"),
        ],
    )
    assert kinds(events) == [
        ("CallOffered", "direct"),
        ("OfferWithdrawn", "caller_left"),
        ("CallEnded", "abandoned"),
    ]


def test_given_agent_phone_calls_another_agent_then_internal_direction() -> None:
    tracker = CallTracker("lab", AGENTS)
    events = feed_all(tracker, [dial("DialBegin", PHONE1, PHONE2, "7.1", CallerIDNum="1001")])
    [offered] = events
    assert (offered.agent, offered.direction, offered.caller_number) == ("PJSIP/1002", "internal", "1001")


def click_to_dial(customer_status: str) -> list[dict]:
    """Originate Channel=PJSIP/1001 ChannelId=c2d-9: phone answers, then dials the customer."""
    agent, customer = ("c2d-9", "PJSIP/1001-00000010"), ("9.1", "PJSIP/trunk-00000011")
    return [
        ev("Newchannel", *agent, "c2d-9", ChannelState="0", CallerIDNum="1001"),
        {"Event": "DialBegin", "DestChannel": agent[1], "DestUniqueid": "c2d-9", "DestLinkedid": "c2d-9"},
        {
            "Event": "DialEnd",
            "DestChannel": agent[1],
            "DestUniqueid": "c2d-9",
            "DestLinkedid": "c2d-9",
            "DialStatus": "ANSWER",
        },
        ev("Newstate", *agent, "c2d-9"),
        dial("DialBegin", agent, customer, "c2d-9", DialString="trunk/5559001"),
        dial("DialEnd", agent, customer, "c2d-9", DialStatus=customer_status),
        ev("Hangup", *customer, "c2d-9", Cause="17" if customer_status == "BUSY" else "16"),
        ev("Hangup", *agent, "c2d-9"),
    ]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("ANSWER", "answered"), ("BUSY", "busy"), ("NOANSWER", "no_answer"), ("CHANUNAVAIL", "failed")],
)
def test_given_click_to_dial_with_a_device_then_outcome_from_the_customer_leg(
    status: str, outcome: str
) -> None:
    tracker = CallTracker("lab", AGENTS)
    tracker.expect_origination("c2d-9", "click_to_dial", "PJSIP/1001", "5559001")
    events = feed_all(tracker, click_to_dial(status))

    offered, ended = events[0], events[-1]
    assert isinstance(offered, CallOffered) and isinstance(ended, CallEnded)
    assert (offered.reason, offered.direction, offered.caller_number) == (
        "click_to_dial",
        "outbound",
        "5559001",
    )
    assert (ended.outcome, ended.direction, ended.agents) == (outcome, "outbound", ("PJSIP/1001",))
    assert (
        len([e for e in events if isinstance(e, CallOffered)]) == 1
    )  # the phone's own DialBegin is no new pop


def test_given_click_to_dial_that_cannot_be_placed_then_failed_record_without_pop_up() -> None:
    tracker = CallTracker("lab", AGENTS)
    tracker.expect_origination("c2d-10", "click_to_dial", "PJSIP/1001", "5559001")
    response = {
        "Event": "OriginateResponse",
        "ActionID": "crm-42",
        "Response": "Failure",
        "Channel": "PJSIP/1001",
        "Context": "outbound",
        "Exten": "5559001",
        "Reason": "0",
        "Uniqueid": "<unknown>",
    }
    events = tracker.feed(response, 5.0)
    [ended] = events
    assert (ended.call_id, ended.outcome, ended.direction, ended.agent) == (
        "c2d-10",
        "failed",
        "outbound",
        None,
    )
    assert tracker.feed(response, 6.0) == []  # a repeated response records nothing twice


def test_given_callback_then_customer_queued_and_offers_say_callback() -> None:
    tracker = CallTracker("lab")
    tracker.expect_origination("cb-1", "callback", None, "5550042")
    cust = ("cb-1", "Local/5550042@pstn-00000020;1")
    events = feed_all(
        tracker,
        [
            ev("Newchannel", *cust, "cb-1", ChannelState="0", CallerIDNum="5550042"),
            ev("Newstate", *cust, "cb-1", CallerIDNum="5550042"),
            ev("QueueCallerJoin", *cust, "cb-1", Queue="support", Position="1", CallerIDNum="5550042"),
            ev(
                "AgentCalled",
                *cust,
                "cb-1",
                DestChannel="Local/1001@agents-00000021;1",
                DestUniqueid="cb.2",
                DestLinkedid="cb-1",
                Interface="Local/1001@agents/n",
                Queue="support",
                CallerIDNum="5550042",
            ),
            ev(
                "AgentConnect",
                *cust,
                "cb-1",
                DestUniqueid="cb.2",
                Interface="Local/1001@agents/n",
                Queue="support",
            ),
            ev("Hangup", *cust, "cb-1"),
            ev("Hangup", "cb.2", "Local/1001@agents-00000021;1", "cb-1"),
        ],
    )
    assert kinds(events) == [
        ("CallQueued", None),
        ("CallOffered", "callback"),
        ("CallAnswered", None),
        ("CallEnded", "answered"),
    ]
    assert events[1].direction == "outbound" and events[-1].direction == "outbound"


def test_given_callback_customer_busy_then_busy_and_no_pop_up() -> None:
    tracker = CallTracker("lab")
    tracker.expect_origination("cb-2", "callback", None, "5550043")
    cust = ("cb-2", "Local/5550043@pstn-00000022;1")
    events = feed_all(
        tracker,
        [
            ev("Newchannel", *cust, "cb-2", ChannelState="0"),
            ev("Hangup", *cust, "cb-2", ChannelState="0", Cause="17"),
        ],
    )
    [ended] = events
    assert (ended.outcome, ended.caller_number, ended.agents) == ("busy", "5550043", ())


def test_given_queue_join_then_callqueued_carries_position() -> None:
    tracker = CallTracker("lab")
    [queued] = feed_all(tracker, start_call())
    assert isinstance(queued, CallQueued) and queued.position == 1
    assert tracker.caller_channel(LINKED) == "Local/5550001@inbound-00000000;2"
    assert tracker.channels(LINKED)[0] == "Local/5550001@inbound-00000000;2"
    feed_all(tracker, [hangup(CALLER, "Local/5550001@inbound-00000000;2")])


def test_given_caller_hangs_up_while_members_ring_in_app_queue_order_then_caller_left() -> None:
    """app_queue cancels and hangs up the member legs before it reports QueueCallerAbandon."""
    tracker = CallTracker("lab")
    cancel = {"DestUniqueid": "1.2", "DestLinkedid": LINKED, "DialStatus": "CANCEL"}
    events = feed_all(
        tracker,
        [
            *start_call(),
            *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
            member("AgentCalled", "1001", "1.2"),
            hangup("1900000000.0", "Local/5550001@inbound-00000000;1"),
            caller("DialEnd", **cancel),
            hangup("1.2", "Local/1001@agents-00000001;1"),
            hangup("1.3", "Local/1001@agents-00000001;2"),
            caller("QueueCallerAbandon", Queue="support", Position="1", OriginalPosition="1", HoldTime="6"),
            hangup(CALLER, "Local/5550001@inbound-00000000;2"),
        ],
    )
    assert kinds(events)[1:] == [
        ("CallOffered", "queue"),
        ("OfferWithdrawn", "caller_left"),
        ("CallEnded", "abandoned"),
    ]


def test_given_ringall_with_dial_ends_then_the_cancelled_member_was_answered_elsewhere() -> None:
    tracker = CallTracker("lab")
    events = feed_all(
        tracker,
        [
            *start_call(),
            *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
            *local_pair("1.4", "1.5", "Local/1002@agents-00000002"),
            member("AgentCalled", "1001", "1.2"),
            member("AgentCalled", "1002", "1.4"),
            caller("DialEnd", DestUniqueid="1.4", DestLinkedid=LINKED, DialStatus="ANSWER"),
            caller("DialEnd", DestUniqueid="1.2", DestLinkedid=LINKED, DialStatus="CANCEL"),
            hangup("1.2", "Local/1001@agents-00000001;1"),
            member("AgentConnect", "1002", "1.4", HoldTime="3", RingTime="2"),
        ],
    )
    assert [(type(e).__name__, getattr(e, "agent", None)) for e in events[1:]] == [
        ("CallOffered", "Local/1001@agents/n"),
        ("CallOffered", "Local/1002@agents/n"),
        ("OfferWithdrawn", "Local/1001@agents/n"),
        ("CallAnswered", "Local/1002@agents/n"),
    ]
    assert events[3].reason == "answered_elsewhere"


def _originated_dial(event: str, dest: tuple[str, str], linked: str, **extra: str) -> dict:
    """DialBegin/DialEnd of an Originate: no calling channel, only the Dest block."""
    return {"Event": event, "DestChannel": dest[1], "DestUniqueid": dest[0], "DestLinkedid": linked, **extra}


def test_given_campaign_customer_busy_then_busy_and_the_agent_is_never_offered() -> None:
    tracker = CallTracker("lab", AGENTS)
    tracker.expect_origination("pd-1", "campaign", "PJSIP/1001", "5550044")
    cust = ("pd-1", "Local/5550044@pstn-00000030;1")
    events = feed_all(
        tracker,
        [
            ev("Newchannel", *cust, "pd-1", ChannelState="0"),
            _originated_dial("DialBegin", cust, "pd-1", DialString="5550044@pstn"),
            _originated_dial("DialEnd", cust, "pd-1", DialStatus="BUSY"),
            ev("Hangup", *cust, "pd-1", ChannelState="0", Cause="17"),
        ],
    )
    assert kinds(events) == [("CallEnded", "busy")]


def test_given_campaign_customer_answers_then_their_channel_rings_the_agent_and_the_call_is_answered() -> (
    None
):
    tracker = CallTracker("lab", AGENTS)
    tracker.expect_origination("pd-2", "campaign", "PJSIP/1001", "5550045")
    cust = ("pd-2", "Local/5550045@pstn-00000031;1")
    events = feed_all(
        tracker,
        [
            ev("Newchannel", *cust, "pd-2", ChannelState="0"),
            _originated_dial("DialBegin", cust, "pd-2", DialString="5550045@pstn"),
            ev("Newstate", *cust, "pd-2"),
            _originated_dial("DialEnd", cust, "pd-2", DialStatus="ANSWER"),
            ev("Newchannel", *PHONE1, "pd-2", ChannelState="0"),
            dial("DialBegin", cust, PHONE1, "pd-2", DialString="PJSIP/1001"),
            dial("DialEnd", cust, PHONE1, "pd-2", DialStatus="ANSWER"),
            ev("Hangup", *cust, "pd-2"),
            ev("Hangup", *PHONE1, "pd-2"),
        ],
    )
    assert kinds(events) == [("CallOffered", "campaign"), ("CallAnswered", None), ("CallEnded", "answered")]
    offered = events[0]
    assert (offered.agent, offered.caller_number, offered.direction) == ("PJSIP/1001", "5550045", "outbound")
