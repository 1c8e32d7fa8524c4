"""Tracker rules on synthetic AMI events shaped like Asterisk 22's (see the traces)."""

from __future__ import annotations

import pytest

from crm_core.events import CallAnswered, CallEnded, CallOffered, CallQueued, OfferWithdrawn
from cti.tracker import CallTracker

T0 = 1_900_000_000.0
LINKED = "1900000000.0"
CALLER = "1900000000.1"  # the inbound Local ;2 half that sits in the queue


def chan(event: str, uid: str, channel: str, at: float | None = None, **extra: str | list[str]) -> dict:
    """One channel event as Asterisk sends it (Timestamp only when timestampevents=yes)."""
    headers: dict = {
        "Event": event,
        "Privilege": "call,all",
        "Channel": channel,
        "Uniqueid": uid,
        "Linkedid": LINKED,
        "CallerIDNum": "5550001",
        "CallerIDName": "Alice Example",
    }
    if at is not None:
        headers["Timestamp"] = f"{at:.6f}"
    headers.update(extra)
    return headers


def caller(event: str, at: float | None = None, **extra: str | list[str]) -> dict:
    return chan(event, CALLER, "Local/5550001@inbound-00000000;2", at, **extra)


def member(event: str, ext: str, leg: str, at: float | None = None, **extra: str) -> dict:
    """A queue event about member ``ext`` whose ``;1`` half is Uniqueid ``leg``."""
    return caller(
        event,
        at,
        DestChannel=f"Local/{ext}@agents-0000000{ext[-1]};1",
        DestUniqueid=leg,
        DestLinkedid=LINKED,
        Queue="support",
        Interface=f"Local/{ext}@agents/n",
        MemberName=f"Agent {ext}",
        **extra,
    )


def local_pair(one: str, two: str, name: str) -> list[dict]:
    return [
        chan("Newchannel", one, f"{name};1"),
        chan("Newchannel", two, f"{name};2"),
        {
            "Event": "LocalBridge",
            "LocalOneChannel": f"{name};1",
            "LocalOneUniqueid": one,
            "LocalTwoChannel": f"{name};2",
            "LocalTwoUniqueid": two,
        },
    ]


def hangup(uid: str, channel: str, at: float | None = None) -> dict:
    return chan("Hangup", uid, channel, at, Cause="16")


def start_call(at: float | None = None, name: str = "Alice Example") -> list[dict]:
    return [
        *local_pair("1900000000.0", CALLER, "Local/5550001@inbound-00000000"),
        caller(
            "QueueCallerJoin",
            at,
            Queue="support",
            Position="1",
            Count="1",
            CallerIDName=name,
            ChanVariable=["CRM_CALLID=crm-1", "IVR_CHOICE=2"],
        ),
    ]


def end_call(*legs: tuple[str, str], at: float | None = None) -> list[dict]:
    all_legs = [
        ("1900000000.0", "Local/5550001@inbound-00000000;1"),
        (CALLER, "Local/5550001@inbound-00000000;2"),
        *legs,
    ]
    return [hangup(uid, name, at) for uid, name in all_legs]


def feed_all(tracker: CallTracker, events: list[dict], received_at: float = 5.0) -> list:
    return [out for e in events for out in tracker.feed(e, received_at)]


def test_given_timestamp_headers_then_times_come_from_the_pbx_not_the_receiver() -> None:
    tracker = CallTracker("lab")
    events = feed_all(
        tracker,
        [
            *start_call(T0),
            *local_pair("1900000003.2", "1900000003.3", "Local/1001@agents-00000001"),
            member("AgentCalled", "1001", "1900000003.2", T0 + 3),
            member("AgentConnect", "1001", "1900000003.2", T0 + 7, HoldTime="7", RingTime="4"),
            *end_call(
                ("1900000003.2", "Local/1001@agents-00000001;1"),
                ("1900000003.3", "Local/1001@agents-00000001;2"),
                at=T0 + 20,
            ),
        ],
        received_at=42.0,
    )

    [queued] = [e for e in events if isinstance(e, CallQueued)]
    [answered] = [e for e in events if isinstance(e, CallAnswered)]
    [ended] = [e for e in events if isinstance(e, CallEnded)]
    assert queued.at == T0
    assert (answered.at, answered.wait_seconds, answered.ring_seconds) == (T0 + 7, 7.0, 4.0)
    assert (ended.at, ended.queued_at, ended.answered_at) == (T0 + 20, T0, T0 + 7)
    assert (ended.wait_seconds, ended.talk_seconds, ended.outcome) == (7.0, 13.0, "answered")


def test_given_ringall_when_one_agent_answers_then_the_other_offer_is_withdrawn() -> None:
    tracker = CallTracker("lab")
    events = feed_all(
        tracker,
        [
            *start_call(),
            *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
            *local_pair("1.4", "1.5", "Local/1002@agents-00000002"),
            member("AgentCalled", "1001", "1.2"),
            member("AgentCalled", "1002", "1.4"),
            member("AgentConnect", "1002", "1.4", HoldTime="3", RingTime="2"),
            hangup("1.2", "Local/1001@agents-00000001;1"),
            hangup("1.3", "Local/1001@agents-00000001;2"),
        ],
    )

    assert [e.agent for e in events if isinstance(e, CallOffered)] == [
        "Local/1001@agents/n",
        "Local/1002@agents/n",
    ]
    withdrawn = [e for e in events if isinstance(e, OfferWithdrawn)]
    assert [(w.agent, w.reason) for w in withdrawn] == [("Local/1001@agents/n", "answered_elsewhere")]
    assert [e.agent for e in events if isinstance(e, CallAnswered)] == ["Local/1002@agents/n"]


def test_given_agents_ringing_when_caller_abandons_then_offers_withdrawn_caller_left() -> None:
    tracker = CallTracker("lab")
    events = feed_all(
        tracker,
        [
            *start_call(),
            *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
            member("AgentCalled", "1001", "1.2"),
            hangup("1900000000.0", "Local/5550001@inbound-00000000;1"),
            caller("QueueCallerAbandon", Queue="support", Position="2", OriginalPosition="3", HoldTime="9"),
            hangup(CALLER, "Local/5550001@inbound-00000000;2"),
            hangup("1.2", "Local/1001@agents-00000001;1"),
            hangup("1.3", "Local/1001@agents-00000001;2"),
        ],
    )

    withdrawn = [e for e in events if isinstance(e, OfferWithdrawn)]
    assert [(w.agent, w.reason) for w in withdrawn] == [("Local/1001@agents/n", "caller_left")]
    [ended] = [e for e in events if isinstance(e, CallEnded)]
    assert (ended.outcome, ended.abandon_position) == ("abandoned", 2)
    assert tracker.active_calls == 0


def test_given_chinese_caller_name_then_it_reaches_every_event_intact() -> None:
    tracker = CallTracker("lab")
    events = feed_all(
        tracker,
        [
            *start_call(name="张伟（VIP客户）"),
            *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
            member("AgentCalled", "1001", "1.2", CallerIDName="张伟（VIP客户）"),
            *end_call(("1.2", "Local/1001@agents-00000001;1"), ("1.3", "Local/1001@agents-00000001;2")),
        ],
    )

    names = {type(e).__name__: e.caller_name for e in events if hasattr(e, "caller_name")}
    assert names == {
        "CallQueued": "张伟（VIP客户）",
        "CallOffered": "张伟（VIP客户）",
        "CallEnded": "张伟（VIP客户）",
    }


def test_given_dial_hook_when_member_leg_dials_then_no_second_offer() -> None:
    tracker = CallTracker("lab", direct_agent=lambda dest: "agent:" + dest.split("/")[1].split("-")[0])
    events = feed_all(
        tracker,
        [
            *start_call(),
            *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
            member("AgentCalled", "1001", "1.2"),
            caller(
                "DialBegin",
                DestChannel="Local/1001@agents-00000001;1",
                DestUniqueid="1.2",
                DestLinkedid=LINKED,
            ),
            chan(
                "DialBegin",
                "1.3",
                "Local/1001@agents-00000001;2",
                DestChannel="PJSIP/1001-00000009",
                DestUniqueid="1.9",
                DestLinkedid=LINKED,
            ),
        ],
    )

    assert len([e for e in events if isinstance(e, CallOffered)]) == 1


def test_given_dial_hook_when_direct_call_rings_a_device_then_offered_and_answered() -> None:
    tracker = CallTracker("lab", direct_agent=lambda dest: "1001" if dest.startswith("PJSIP/1001") else None)
    dial = {"DestChannel": "PJSIP/1001-00000009", "DestUniqueid": "1.9", "DestLinkedid": LINKED}
    events = feed_all(
        tracker,
        [
            chan("Newchannel", LINKED, "PJSIP/trunk-00000008"),
            chan("DialBegin", LINKED, "PJSIP/trunk-00000008", **dial),
            chan("DialBegin", LINKED, "PJSIP/trunk-00000008", **dial),
            chan("DialEnd", LINKED, "PJSIP/trunk-00000008", DialStatus="ANSWER", **dial),
            hangup("1.9", "PJSIP/1001-00000009"),
            hangup(LINKED, "PJSIP/trunk-00000008"),
        ],
    )

    assert [type(e).__name__ for e in events] == ["CallOffered", "CallAnswered", "CallEnded"]
    assert events[0].queue is None and events[0].agent == "1001"
    assert events[2].outcome == "answered"


def test_given_tracker_started_mid_call_then_header_times_are_the_fallback() -> None:
    tracker = CallTracker("lab")
    events = feed_all(
        tracker,
        [
            member("AgentConnect", "1001", "1.2", HoldTime="12", RingTime="3"),
            hangup(CALLER, "Local/5550001@inbound-00000000;2"),
        ],
    )

    [answered] = [e for e in events if isinstance(e, CallAnswered)]
    assert (answered.wait_seconds, answered.ring_seconds) == (12.0, 3.0)
    [ended] = [e for e in events if isinstance(e, CallEnded)]
    assert ended.wait_seconds == pytest.approx(12.0)


def test_given_ended_call_when_stragglers_arrive_then_no_phantom_call() -> None:
    tracker = CallTracker("lab")
    feed_all(tracker, [*start_call(), *end_call()])
    late = feed_all(tracker, [caller("VarSet", Variable="X", Value="1"), caller("Newstate")])

    assert late == [] and tracker.active_calls == 0


def test_given_many_calls_then_memory_stays_bounded() -> None:
    tracker = CallTracker("lab")
    for n in range(3000):
        linked = f"2000000000.{n}"
        tracker.feed({"Event": "Newchannel", "Uniqueid": linked, "Linkedid": linked, "ChannelState": "6"}, n)
        ended = tracker.feed({"Event": "Hangup", "Uniqueid": linked, "Linkedid": linked}, n + 1)
        assert [type(e).__name__ for e in ended] == ["CallEnded"]
    assert tracker.active_calls == 0
    assert len(tracker._ended) <= 1024 and not tracker._channel_call and not tracker._local_peer
