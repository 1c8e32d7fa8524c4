"""Real Asterisk 22 traces replayed through the tracker: what the CRM must see."""

from __future__ import annotations

import pytest
from panoramisk.message import Message

from crm_core.events import (
    CallAnswered,
    CallEnded,
    CallOffered,
    CallQueued,
    CallTransferred,
    OfferWithdrawn,
)
from cti.tracker import CallTracker, agent_hook
from tests.cti.amitrace import FIXTURES, read_frames, replay

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


AGENTS = agent_hook(["Local/1001@agents/n", "Local/1002@agents/n"])


@pytest.mark.parametrize(
    "name", ["s00_connect_and_lists", "s07_agent_login_pause", "s09a_action_errors", "s09b_bad_secret"]
)
def test_given_trace_without_customer_calls_then_no_call_events(name: str) -> None:
    tracker = CallTracker("lab", AGENTS)
    assert replay(name, tracker.feed, START) == []
    assert tracker.active_calls == 0


def test_given_failed_channel_requests_then_no_phantom_call_even_when_an_origination_was_expected() -> None:
    tracker = CallTracker("lab", AGENTS)
    tracker.expect_origination("crm-c2d-1", "click_to_dial", "Local/1001@agents/n", "5559001")
    events = replay("s09a_action_errors", tracker.feed, START)
    # the Originate of Local/9999@nosuchcontext failed; it is not ours (other channel, other number)
    assert events == [] and tracker.active_calls == 0


def test_given_blind_transfer_trace_then_one_conversation_passed_from_1001_to_1002() -> None:
    tracker = CallTracker("lab", AGENTS)
    events = replay("s04b_transfer_blindtransfer", tracker.feed, START)

    assert {e.call_id for e in events} == {"1795383451.30"}
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "CallQueued",
        "CallOffered",
        "CallAnswered",
        "CallTransferred",
        "CallOffered",
        "CallAnswered",
        "CallEnded",
    ]
    [transferred] = of(events, CallTransferred)
    assert (transferred.from_agent, transferred.target, transferred.kind) == (
        "Local/1001@agents/n",
        "1002",
        "blind",
    )
    first, second = of(events, CallOffered)
    assert (first.reason, first.transferred_by) == ("queue", None)
    assert (second.agent, second.reason, second.transferred_by) == (
        "Local/1002@agents/n",
        "transfer",
        "Local/1001@agents/n",
    )
    assert second.caller_number == "5550042"
    [ended] = of(events, CallEnded)
    assert (ended.outcome, ended.transferred, ended.agent) == ("answered", True, "Local/1002@agents/n")
    assert ended.agents == ("Local/1001@agents/n", "Local/1002@agents/n")
    assert ended.answered_at == of(events, CallAnswered)[0].at  # talk counts from the first answer
    assert tracker.active_calls == 0


def test_given_blind_transfer_without_agent_hook_then_transfer_still_recorded() -> None:
    tracker = CallTracker("lab")
    events = replay("s04b_transfer_blindtransfer", tracker.feed, START)
    assert len(of(events, CallTransferred)) == 1 and len(of(events, CallOffered)) == 1
    assert of(events, CallEnded)[0].transferred is True


def test_given_click_to_dial_trace_then_agent_offered_the_customer_and_answered_when_customer_answers() -> (
    None
):
    tracker = CallTracker("lab", AGENTS)
    tracker.expect_origination("c2d-1795383464-1", "click_to_dial", "Local/1001@agents/n", "5559001")
    seen: dict[str, object] = {}

    def feed(frame: dict, at: float) -> list:
        out = tracker.feed(frame, at)
        if frame.get("Event") == "MixMonitorMute":  # mid-call, after the Local hop was optimised away
            seen["channels"] = tracker.channels("c2d-1795383464-1")
            seen["agent"] = tracker.agent_channel("c2d-1795383464-1", "Local/1001@agents/n")
            seen["caller"] = tracker.caller_channel("c2d-1795383464-1")
            seen["on"] = tracker.call_of_agent("Local/1001@agents/n")
        return out

    events = replay("s05a_click_to_dial", feed, START)

    assert [type(e).__name__ for e in events] == ["CallOffered", "CallAnswered", "CallEnded"]
    offered, answered, ended = events
    assert (offered.agent, offered.caller_number, offered.reason, offered.direction) == (
        "Local/1001@agents/n",
        "5559001",
        "click_to_dial",
        "outbound",
    )
    dial_end = 1800000004.03  # DialEnd ANSWER of the customer leg (Local/5559001@pstn)
    assert answered.at == pytest.approx(dial_end, abs=0.01) and answered.agent == "Local/1001@agents/n"
    assert (ended.outcome, ended.direction, ended.caller_number) == ("answered", "outbound", "5559001")
    assert ended.offered_at == offered.at and ended.ring_seconds == pytest.approx(answered.at - offered.at)
    assert seen["caller"] == "Local/5559001@pstn-00000014;1"
    assert seen["agent"] == "Local/1001@agents-00000013;2"
    assert seen["channels"][0] == seen["caller"] and len(seen["channels"]) == 4
    assert seen["on"] == "c2d-1795383464-1"
    assert tracker.active_calls == 0 and tracker.channels("c2d-1795383464-1") == []


def test_given_click_to_dial_trace_not_expected_then_only_a_direct_ring_of_the_phone() -> None:
    tracker = CallTracker("lab", AGENTS)
    events = replay("s05a_click_to_dial", tracker.feed, START)
    # not announced with expect_origination: the Originate itself pops nothing, the Local hop
    # ringing 1001's phone is all the tracker can see (hence the adapter must announce its own)
    [offered] = of(events, CallOffered)
    assert (offered.agent, offered.reason, offered.direction) == ("Local/1001@agents/n", "direct", "inbound")
    [ended] = of(events, CallEnded)
    assert ended.call_id == "c2d-1795383464-1" and len(of(events, CallAnswered)) == 1


def test_given_caller_hangs_up_in_the_ivr_then_one_abandoned_call_without_queue_or_offer() -> None:
    tracker = CallTracker("lab", AGENTS)
    events = replay("s10_ivr_hangup", tracker.feed, START)
    [ended] = events
    assert isinstance(ended, CallEnded)
    assert (ended.outcome, ended.queue, ended.agent, ended.agents) == ("abandoned", None, None, ())
    assert ended.caller_number == "5550101"
    assert tracker.active_calls == 0


def test_given_every_recorded_trace_then_every_call_that_starts_also_ends() -> None:
    for name in sorted(p.name.removesuffix(".ami.raw") for p in FIXTURES.glob("*.ami.raw")):
        tracker = CallTracker("lab", AGENTS)
        events = replay(name, tracker.feed, START)
        started = {e.call_id for e in events}
        assert started == {e.call_id for e in of(events, CallEnded)}, name
        assert len(of(events, CallEnded)) == len(started), name
        assert tracker.active_calls == 0, name
