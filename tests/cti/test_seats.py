"""Seat state from a real Asterisk queue-membership trace and from call domain events."""

from __future__ import annotations

from crm_core.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallHoldChanged,
    CallOffered,
    CallTransferred,
    OfferWithdrawn,
)
from cti.seats import SeatTracker
from tests.cti.amitrace import read_frames, replay

A1, A2 = "Local/1001@agents/n", "Local/1002@agents/n"
T0 = 1_800_000_000.0


def states(events: list[AgentStateChanged]) -> list[tuple[str, str, str]]:
    return [(e.agent.split("@")[0].removeprefix("Local/"), e.state, e.reason) for e in events]


def member_event(name: str, agent: str, queue: str = "support", paused: int = 0, reason: str = "", status=1):
    return {
        "Event": name,
        "Queue": queue,
        "Interface": agent,
        "Status": str(status),
        "Paused": str(paused),
        "PausedReason": reason,
    }


def logged_in(wrapup: float = 5.0, *agents: str) -> SeatTracker:
    seats = SeatTracker("lab", wrapup)
    for agent in agents or (A1,):
        seats.feed_ami(member_event("QueueMemberAdded", agent), T0)
    return seats


def offered(agent: str, at: float, call: str = "c1") -> CallOffered:
    return CallOffered("lab", call, agent, "5550001", "", "support", at)


def answered(agent: str, at: float, call: str = "c1") -> CallAnswered:
    return CallAnswered("lab", call, agent, "support", "5550001", at, 1.0, 1.0)


def ended(agent: str | None, at: float, call: str = "c1", outcome: str = "answered") -> CallEnded:
    return CallEnded("lab", call, outcome, "5550001", "", "support", agent, at, T0, T0, 1.0, 5.0)


def test_given_recorded_login_pause_logout_then_each_seat_change_is_reported_once() -> None:
    seats = SeatTracker("lab", wrapup_seconds=5)
    out = replay("s07_agent_login_pause", seats.feed_ami)

    assert states(out) == [
        ("1003", "ready", ""),
        ("1003", "paused", "Lunch"),
        ("1003", "ready", ""),  # the unpause carries "Back from lunch": not a pause reason
        ("1003", "paused", "Coaching"),
        ("1003", "ready", ""),
        # penalty and ring-in-use changes are not seat changes
        ("1003", "logged_out", "unavailable"),  # phone UNAVAILABLE, still a queue member
        ("1003", "ready", ""),
        ("1004", "paused", "Login paused"),
        ("1004", "logged_out", ""),
        ("1003", "logged_out", ""),
    ]
    assert all(e.queues == ("support",) for e in out[:8])
    assert out[-1].queues == () and out[-1].at > out[0].at


def test_given_recorded_queue_status_list_then_rebuild_gives_every_member() -> None:
    frames = read_frames("s07_agent_login_pause")
    last_list = [f for f in frames if f.get("ActionID") == "s07_agent_login_pause-018"]
    seats = SeatTracker("lab", wrapup_seconds=5)

    out = seats.rebuild(last_list, T0)

    assert sorted(states(out)) == [
        ("1001", "ready", ""),
        ("1002", "ready", ""),
        ("1003", "ready", ""),
        ("1004", "paused", "Login paused"),
    ]
    assert seats.rebuild(last_list, T0 + 1) == [], "nothing changed: nothing to say"
    assert sorted(states(seats.snapshot())) == sorted(states(out))


def test_given_list_items_fed_as_live_events_then_they_are_ignored() -> None:
    frames = read_frames("s07_agent_login_pause")
    items = [f for f in frames if f.get("Event") == "QueueMember"]
    seats = SeatTracker("lab", wrapup_seconds=5)
    assert items and all(seats.feed_ami(item, T0) == [] for item in items)


def test_given_a_call_then_ringing_on_call_hold_wrap_up_and_ready_in_order() -> None:
    seats = logged_in(5.0)
    out = seats.feed_call(offered(A1, T0 + 1))
    out += seats.feed_call(answered(A1, T0 + 3))
    out += seats.feed_call(CallHoldChanged("lab", "c1", A1, True, T0 + 4))
    out += seats.feed_call(CallHoldChanged("lab", "c1", None, False, T0 + 6))
    out += seats.feed_call(ended(A1, T0 + 10))
    assert seats.tick(T0 + 14.9) == []
    out += seats.tick(T0 + 20)

    assert [(e.state, e.at) for e in out] == [
        ("ringing", T0 + 1),
        ("on_call", T0 + 3),
        ("on_hold", T0 + 4),
        ("on_call", T0 + 6),
        ("wrap_up", T0 + 10),
        ("ready", T0 + 15),  # when the wrap-up ended, not when the timer noticed
    ]


def test_given_offer_withdrawn_then_seat_is_back_to_what_it_was() -> None:
    seats = logged_in(5.0, A1, A2)
    out = seats.feed_call(offered(A1, T0 + 1))
    out += seats.feed_call(OfferWithdrawn("lab", "c1", A1, "no_answer", T0 + 6))
    out += seats.feed_call(offered(A2, T0 + 6))
    out += seats.feed_call(ended(None, T0 + 8, outcome="abandoned"))
    assert states(out) == [
        ("1001", "ringing", ""),
        ("1001", "ready", ""),
        ("1002", "ringing", ""),
        ("1002", "ready", ""),  # never talked: no wrap-up
    ]


def test_given_pause_during_call_then_on_call_stays_and_paused_follows_wrap_up() -> None:
    seats = logged_in(3.0)
    seats.feed_call(answered(A1, T0 + 1))
    assert seats.feed_ami(member_event("QueueMemberPause", A1, paused=1, reason="lunch"), T0 + 2) == []
    out = seats.feed_call(ended(A1, T0 + 5))
    out += seats.end_wrap_up(A1, T0 + 6)
    assert states(out) == [("1001", "wrap_up", ""), ("1001", "paused", "lunch")]
    assert out[-1].at == T0 + 6
    assert seats.tick(T0 + 100) == [], "the wrap-up that ended early does not end again"


def test_given_paused_in_one_of_two_queues_then_still_ready_until_paused_in_both() -> None:
    seats = logged_in(0.0)
    seats.feed_ami(member_event("QueueMemberAdded", A1, queue="sales"), T0)
    assert seats.feed_ami(member_event("QueueMemberPause", A1, paused=1, reason="x"), T0 + 1) == []
    out = seats.feed_ami(member_event("QueueMemberPause", A1, queue="sales", paused=1, reason="y"), T0 + 2)
    assert [(e.state, e.reason, e.queues) for e in out] == [("paused", "y", ("sales", "support"))]


def test_given_blind_transfer_then_transferring_agent_wraps_up_and_target_takes_the_call() -> None:
    seats = logged_in(0.0, A1, A2)
    seats.feed_call(answered(A1, T0 + 1))
    out = seats.feed_call(CallTransferred("lab", "c1", A1, A2, "blind", T0 + 5))
    out += seats.feed_call(offered(A2, T0 + 5))
    assert seats.agents_on_call("c1") == []
    out += seats.feed_call(answered(A2, T0 + 7))
    assert seats.agents_on_call("c1") == [A2]
    out += seats.feed_call(ended(A2, T0 + 9))
    assert states(out) == [
        ("1001", "ready", ""),  # wrap-up of 0 s: straight back
        ("1002", "ringing", ""),
        ("1002", "on_call", ""),
        ("1002", "ready", ""),
    ]


def test_given_direct_call_to_agent_in_no_queue_then_seat_appears_and_returns_to_logged_out() -> None:
    seats = SeatTracker("lab", wrapup_seconds=0)
    out = seats.feed_call(offered("PJSIP/2001", T0, call="d1"))
    out += seats.feed_call(answered("PJSIP/2001", T0 + 1, call="d1"))
    out += seats.feed_call(ended("PJSIP/2001", T0 + 2, call="d1"))
    assert [e.state for e in out] == ["ringing", "on_call", "logged_out"]


def test_given_rebuild_after_link_loss_then_stale_calls_are_dropped_and_live_ones_kept() -> None:
    seats = logged_in(0.0, A1, A2)
    seats.feed_call(answered(A1, T0 + 1, call="gone"))
    seats.feed_call(answered(A2, T0 + 1, call="live"))
    members = [
        {"Event": "QueueMember", "Queue": "support", "Location": a, "Status": "2", "Paused": "0"}
        for a in (A1, A2)
    ]
    out = seats.rebuild(members, T0 + 50, calls=[answered(A2, T0 + 40, call="live")])
    assert states(out) == [("1001", "ready", "")], "A2 is still on its call: nothing to say about it"
    assert seats.state_of(A2) == "on_call"
