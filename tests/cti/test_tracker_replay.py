"""Real Asterisk 22 traces replayed through the tracker: what the CRM must see."""

from __future__ import annotations

import pytest
from panoramisk.message import Message

from crm_core.events import CallAnswered, CallEnded, CallOffered, CallQueued, OfferWithdrawn
from cti.tracker import CallTracker
from tests.cti.amitrace import read_frames, replay

START = 1_800_000_000.0


def of(events: list, kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def run(name: str) -> tuple[CallTracker, list]:
    tracker = CallTracker("lab")
    return tracker, replay(name, tracker.feed, START)


def test_given_inbound_answered_trace_then_one_queue_offer_answer_and_end() -> None:
    tracker, events = run("s01_inbound_answered")

    [queued] = of(events, CallQueued)
    [offered] = of(events, CallOffered)
    [answered] = of(events, CallAnswered)
    [ended] = of(events, CallEnded)
    assert of(events, OfferWithdrawn) == []
    assert {e.call_id for e in events} == {"1795383366.0"}
    assert (queued.queue, queued.position, queued.caller_number) == ("support", 1, "5550001")
    assert queued.caller_name == "Customer 5550001"
    assert offered.agent == "Local/1001@agents/n"
    assert (offered.caller_number, offered.queue) == ("5550001", "support")
    assert offered.variables["CRM_CALLID"] == "crm-1795383366.1"
    assert offered.variables["IVR_CHOICE"] == "4321"
    assert answered.agent == "Local/1001@agents/n"
    assert answered.wait_seconds == pytest.approx(2, abs=1)  # AgentConnect says HoldTime: 2
    assert answered.ring_seconds == pytest.approx(1, abs=1)  # ... and RingTime: 1
    assert (ended.outcome, ended.agent, ended.queue) == ("answered", "Local/1001@agents/n", "support")
    assert ended.talk_seconds == pytest.approx(3.51, abs=0.01)
    assert ended.answered_at == answered.at and ended.queued_at == queued.at
    assert ended.wait_seconds == pytest.approx(answered.wait_seconds)
    assert events.index(queued) < events.index(offered) < events.index(answered) < events.index(ended)
    assert tracker.active_calls == 0


def test_given_agents_paused_when_caller_hangs_up_then_abandoned_with_position() -> None:
    tracker, events = run("s02a_abandon_agents_paused")

    assert len(of(events, CallQueued)) == 1
    assert of(events, CallOffered) == []
    assert of(events, CallAnswered) == []
    [ended] = of(events, CallEnded)
    assert (ended.outcome, ended.abandon_position, ended.agent) == ("abandoned", 1, None)
    assert ended.caller_number == "5550021"
    assert ended.wait_seconds == pytest.approx(8, abs=1)  # QueueCallerAbandon HoldTime: 8
    assert ended.talk_seconds == 0.0
    assert tracker.active_calls == 0


def test_given_first_agent_does_not_answer_then_offer_moves_to_second() -> None:
    tracker, events = run("s03a_ringnoanswer_failover")

    call_events = [e for e in events if not isinstance(e, CallQueued)]
    kinds = [(type(e).__name__, getattr(e, "agent", None), getattr(e, "reason", None)) for e in call_events]
    assert kinds == [
        ("CallOffered", "Local/1001@agents/n", "queue"),
        ("OfferWithdrawn", "Local/1001@agents/n", "no_answer"),
        ("CallOffered", "Local/1002@agents/n", "queue"),
        ("CallAnswered", "Local/1002@agents/n", None),
        ("CallEnded", "Local/1002@agents/n", None),
    ]
    answered = of(events, CallAnswered)[0]
    assert answered.ring_seconds == pytest.approx(1.505, abs=0.01)
    assert answered.wait_seconds == pytest.approx(8, abs=1)
    assert of(events, CallEnded)[0].outcome == "answered"
    assert tracker.active_calls == 0


def test_given_panoramisk_messages_then_same_events_as_plain_dicts() -> None:
    plain = CallTracker("lab")
    wrapped = CallTracker("lab")
    expected, got = [], []
    for i, frame in enumerate(read_frames("s01_inbound_answered")):
        expected += plain.feed(frame, START + i)
        got += wrapped.feed(Message(frame), START + i)
    assert got == expected and len(expected) == 4


def test_given_lowercase_header_names_then_same_events() -> None:
    plain, lower = CallTracker("lab"), CallTracker("lab")
    expected, got = [], []
    for i, frame in enumerate(read_frames("s03a_ringnoanswer_failover")):
        expected += plain.feed(frame, START + i)
        got += lower.feed({k.lower(): v for k, v in frame.items()}, START + i)
    assert got == expected and len(expected) == 6


def test_given_list_responses_only_then_no_call_is_tracked() -> None:
    tracker = CallTracker("lab")
    listed = [f for f in read_frames("s01_inbound_answered") if "ActionID" in f]
    assert any(f.get("Event") == "CoreShowChannel" for f in listed)
    assert [e for f in listed for e in tracker.feed(f, START)] == []
    assert tracker.active_calls == 0
