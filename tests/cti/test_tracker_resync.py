"""Supervisor legs, duplicates, several PBXes and the resync after a reconnect."""

from __future__ import annotations

from crm_core.events import CallAnswered, CallEnded, CallOffered, CallQueued, OfferWithdrawn
from cti.tracker import CallTracker, agent_hook
from tests.cti.amitrace import read_frames, read_times
from tests.cti.test_tracker_rules import (
    CALLER,
    LINKED,
    caller,
    chan,
    end_call,
    feed_all,
    local_pair,
    member,
    start_call,
)

A1 = "Local/1001@agents/n"
AGENTS = agent_hook([A1, "Local/1002@agents/n", "Local/2001@supervisor/n"])
START = 1_800_000_000.0
LEG1 = ("1.2", "Local/1001@agents-00000001;1")
LEG2 = ("1.3", "Local/1001@agents-00000001;2")


def of(events: list, kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def spy_leg(with_newexten: bool) -> list[dict]:
    """Originate Channel=Local/2001@supervisor, Application=ChanSpy: the ;1 half runs ChanSpy."""
    spy, phone = "9.0", "9.1"
    name = "Local/2001@supervisor-00000030"
    start = {
        "Event": "ChanSpyStart",
        "SpyerChannel": f"{name};1",
        "SpyerUniqueid": spy,
        "SpyerLinkedid": spy,
        "SpyeeChannel": "Local/5550001@inbound-00000000;2",
        "SpyeeUniqueid": CALLER,
        "SpyeeLinkedid": LINKED,
    }
    newexten = {
        "Event": "Newexten",
        "Channel": f"{name};1",
        "Uniqueid": spy,
        "Linkedid": spy,
        "Application": "ChanSpy",
        "AppData": "Local/1001@agents,qB",
    }
    return [
        {
            "Event": "Newchannel",
            "Channel": f"{name};1",
            "Uniqueid": spy,
            "Linkedid": spy,
            "ChannelState": "0",
        },
        {
            "Event": "Newchannel",
            "Channel": f"{name};2",
            "Uniqueid": phone,
            "Linkedid": spy,
            "ChannelState": "4",
        },
        {
            "Event": "Newstate",
            "Channel": f"{name};2",
            "Uniqueid": phone,
            "Linkedid": spy,
            "ChannelState": "6",
        },
        {"Event": "Newstate", "Channel": f"{name};1", "Uniqueid": spy, "Linkedid": spy, "ChannelState": "6"},
        *([newexten] if with_newexten else []),
        start,
        {**start, "Event": "ChanSpyStop"},
        {"Event": "Hangup", "Channel": f"{name};1", "Uniqueid": spy, "Linkedid": spy, "Cause": "16"},
        {"Event": "Hangup", "Channel": f"{name};2", "Uniqueid": phone, "Linkedid": spy, "Cause": "16"},
    ]


def queue_call_with(*middle: dict) -> list[dict]:
    return [
        *start_call(),
        *local_pair(*[leg[0] for leg in (LEG1, LEG2)], "Local/1001@agents-00000001"),
        member("AgentCalled", "1001", "1.2"),
        member("AgentConnect", "1001", "1.2", HoldTime="2", RingTime="1"),
        *middle,
        *end_call(LEG1, LEG2),
    ]


def test_given_supervisor_chanspy_leg_then_no_call_of_its_own_and_spied_call_untouched() -> None:
    for with_newexten in (True, False):
        plain, spied = CallTracker("lab", AGENTS), CallTracker("lab", AGENTS)
        expected = feed_all(plain, queue_call_with())
        got = feed_all(spied, queue_call_with(*spy_leg(with_newexten)))
        assert got == expected and len(of(got, CallEnded)) == 1
        assert spied.active_calls == 0


def test_given_expected_spy_origination_then_never_reported() -> None:
    tracker = CallTracker("lab", AGENTS)
    tracker.expect_origination("9.0", "spy", "Local/2001@supervisor/n", "1001")
    legs = [e for e in spy_leg(True) if e["Event"] not in ("Newexten", "ChanSpyStart", "ChanSpyStop")]
    assert feed_all(tracker, legs) == [] and tracker.active_calls == 0


def test_given_duplicated_events_then_no_duplicate_domain_events() -> None:
    once, twice = CallTracker("lab"), CallTracker("lab")
    events = queue_call_with()
    expected = feed_all(once, events)
    doubled = [e for event in events for e in (event, event)]
    assert feed_all(twice, doubled) == expected
    assert [type(e).__name__ for e in expected] == ["CallQueued", "CallOffered", "CallAnswered", "CallEnded"]


def test_given_events_after_the_end_then_the_call_is_not_resurrected() -> None:
    tracker = CallTracker("lab")
    feed_all(tracker, queue_call_with())
    late = [
        member("AgentCalled", "1001", "1.2"),
        member("AgentConnect", "1001", "1.2"),
        chan("Hangup", *LEG1),
        caller("Newstate", ChannelState="6"),
    ]
    assert feed_all(tracker, late) == [] and tracker.active_calls == 0


def test_given_agent_connect_before_agent_called_then_no_late_offer() -> None:
    tracker = CallTracker("lab")
    events = feed_all(
        tracker,
        [
            *start_call(),
            member("AgentConnect", "1001", "1.2", HoldTime="2", RingTime="1"),
            member("AgentCalled", "1001", "1.2"),
        ],
    )
    assert [type(e).__name__ for e in events] == ["CallQueued", "CallAnswered"]


def test_given_two_pbxes_with_colliding_linkedids_then_each_tracker_keeps_its_own_calls() -> None:
    beijing, shanghai = CallTracker("beijing"), CallTracker("shanghai")
    a = queue_call_with()
    b = [*start_call(name="Bob"), caller("QueueCallerAbandon", Queue="support", Position="1"), *end_call()]
    out: dict[str, list] = {"beijing": [], "shanghai": []}
    for i in range(max(len(a), len(b))):  # interleaved, as two AMI links deliver them
        if i < len(a):
            out["beijing"] += beijing.feed(a[i], START + i)
        if i < len(b):
            out["shanghai"] += shanghai.feed(b[i], START + i)
    assert {e.pbx for e in out["beijing"]} == {"beijing"} and {e.pbx for e in out["shanghai"]} == {"shanghai"}
    assert [e.outcome for e in of(out["beijing"], CallEnded)] == ["answered"]
    assert [e.outcome for e in of(out["shanghai"], CallEnded)] == ["abandoned"]
    assert of(out["shanghai"], CallOffered) == [] and of(out["shanghai"], CallEnded)[0].call_id == LINKED


def listed(uid: str, channel: str, linked: str = LINKED, **extra: str) -> dict:
    """A CoreShowChannel list item."""
    item = {
        "Event": "CoreShowChannel",
        "ActionID": "resync-1",
        "Channel": channel,
        "Uniqueid": uid,
        "Linkedid": linked,
        "ChannelState": "6",
        "CallerIDNum": "5550001",
        "CallerIDName": "Alice Example",
        "Application": "",
        "ApplicationData": "",
        "Duration": "00:00:09",
        "BridgeId": "",
    }
    item.update(extra)
    return item


def test_given_ringing_call_answered_while_link_was_down_then_rebuild_says_answered_without_offer() -> None:
    tracker = CallTracker("lab", AGENTS)
    feed_all(
        tracker,
        [
            *start_call(),
            *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
            member("AgentCalled", "1001", "1.2"),
        ],
    )
    items = [
        listed("1900000000.0", "Local/5550001@inbound-00000000;1"),
        listed(CALLER, "Local/5550001@inbound-00000000;2", Application="Queue", BridgeId="b-9"),
        listed(*LEG1, Application="AppQueue", BridgeId="b-9"),
        listed(*LEG2, Application="Wait"),
    ]
    events = tracker.rebuild(items, START)
    [answered] = events
    assert isinstance(answered, CallAnswered) and answered.agent == A1
    assert tracker.rebuild(items, START + 1) == []  # a second resync changes nothing
    assert tracker.call_of_agent(A1) == LINKED


def test_given_known_call_gone_after_reconnect_then_rebuild_ends_it() -> None:
    tracker = CallTracker("lab")
    feed_all(
        tracker,
        [
            *start_call(),
            *local_pair("1.2", "1.3", "Local/1001@agents-00000001"),
            member("AgentCalled", "1001", "1.2"),
        ],
    )
    events = tracker.rebuild([], START)
    assert [type(e).__name__ for e in events] == ["OfferWithdrawn", "CallEnded"]
    assert of(events, OfferWithdrawn)[0].reason == "caller_left"
    assert events[-1].at == START and tracker.active_calls == 0


def test_given_unknown_call_after_reconnect_then_adopted_silently_and_ended_once() -> None:
    frames = read_frames("s01_inbound_answered")
    times = read_times("s01_inbound_answered", START)
    at_list = next(i for i, f in enumerate(frames) if f.get("Event") == "CoreShowChannel")
    items = [f for f in frames if f.get("Event") == "CoreShowChannel"]
    tracker = CallTracker("lab", AGENTS)

    assert tracker.rebuild(items, times[at_list]) == []  # no CallQueued / CallOffered: no double pop-up
    assert tracker.caller_channel("1795383366.0") == "Local/5550001@inbound-00000000;2"
    assert tracker.agent_channel("1795383366.0", A1) == "Local/1001@agents-00000001;2"
    assert tracker.agent_leg("1795383366.0", A1) == "Local/1001@agents-00000001;1"
    events = [e for f, t in zip(frames[at_list:], times[at_list:], strict=True) for e in tracker.feed(f, t)]
    assert of(events, CallOffered) == [] and of(events, CallQueued) == []
    [ended] = of(events, CallEnded)
    assert (ended.call_id, ended.outcome, ended.agent, ended.queue) == (
        "1795383366.0",
        "answered",
        A1,
        "support",
    )
    assert tracker.active_calls == 0


def test_given_rebuild_lists_a_chanspy_leg_then_it_is_never_reported() -> None:
    tracker = CallTracker("lab", AGENTS)
    spy = [listed("9.0", "Local/2001@supervisor-00000030;1", "9.0", Application="ChanSpy")]
    assert tracker.rebuild(spy, START) == []
    assert (
        tracker.feed({"Event": "Hangup", "Uniqueid": "9.0", "Linkedid": "9.0", "Channel": "x"}, START) == []
    )
