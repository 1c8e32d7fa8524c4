"""The board alone: domain events in, seats and queues out (pure, exact times)."""

from __future__ import annotations

from agent_ui.wallboard.board import Agent, Board, CallerInfo
from agent_ui.wallboard.render import Audience, delta, seat_json, snapshot
from crm_core.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallQueued,
    CallTransferred,
    OfferWithdrawn,
    PbxLinkChanged,
)

A1, A2 = "PJSIP/1001", "PJSIP/1002"
ADMIN = Audience(everything=True)


def _state(agent: str, state: str, at: float, reason: str = "", queues: tuple[str, ...] = ("support",)):
    return AgentStateChanged("bj", agent, state, reason, queues, at)


def _ended(call_id: str, at: float, agent: str | None = A1) -> CallEnded:
    return CallEnded(
        "bj", call_id, "answered", "13800138000", "", "support", agent, at, 100.0, 103.0, 3.0, 5.0
    )


def _board() -> Board:
    board = Board()
    board.set_directory([Agent(A1, "李娜", "north"), Agent(A2, "Tom", "south")])
    board.apply(_state(A1, "ready", 90.0))
    board.apply(_state(A2, "paused", 95.0, "lunch"))
    return board


def test_given_accounts_when_no_event_yet_then_every_account_has_a_logged_out_seat() -> None:
    board = Board()
    change = board.set_directory([Agent(A1, "李娜", "north")])
    assert change.seats == {A1}
    seat = seat_json(board, board.seats[A1], ADMIN)
    assert (seat["name"], seat["team"], seat["state"], seat["since"], seat["call"]) == (
        "李娜", "north", "logged_out", None, None
    )  # fmt: skip


def test_queue_call_waits_rings_is_answered_then_wraps_up() -> None:
    board = _board()
    board.apply(CallQueued("bj", "c1", "13800138000", "王小明", "support", 1, 100.0))
    queue = snapshot(board, ADMIN, 101.0)["queues"][0]
    assert (queue["name"], queue["waiting"], queue["oldest"]) == ("support", 1, 100.0)
    assert (queue["ready"], queue["busy"], queue["paused"]) == (1, 0, 1)

    board.apply(CallOffered("bj", "c1", A1, "13800138000", "王小明", "support", 102.0))
    board.apply(_state(A1, "ringing", 102.0))
    board.name_caller("bj:c1", CallerInfo("138 0013 8000", "王小明客户"))
    ringing = seat_json(board, board.seats[A1], ADMIN)
    assert ringing["state"] == "ringing"
    assert ringing["call"] == {
        "queue": "support", "direction": "inbound", "answered": False, "since": 102.0,
        "number": "138 0013 8000", "name": "王小明客户",
    }  # fmt: skip

    change = board.apply(CallAnswered("bj", "c1", A1, "support", "13800138000", 103.0, 3.0, 1.0))
    assert change.queues == {"support"} and change.seats == {A1}
    board.apply(_state(A1, "on_call", 103.0))
    talking = seat_json(board, board.seats[A1], ADMIN)
    assert (talking["state"], talking["since"], talking["call"]["answered"], talking["call"]["since"]) == (
        "on_call", 103.0, True, 103.0
    )  # fmt: skip
    queue = snapshot(board, ADMIN, 104.0)["queues"][0]
    assert (queue["waiting"], queue["oldest"], queue["ready"], queue["busy"]) == (0, None, 0, 1)

    board.apply(_ended("c1", 110.0))
    board.apply(_state(A1, "wrap_up", 110.0))
    done = seat_json(board, board.seats[A1], ADMIN)
    assert (done["state"], done["call"]) == ("wrap_up", None)
    assert "bj:c1" not in board.callers


def test_ringall_offer_withdrawn_from_the_seat_that_did_not_answer() -> None:
    board = _board()
    board.apply(_state(A2, "ready", 96.0))
    for agent in (A1, A2):
        board.apply(CallOffered("bj", "c2", agent, "13800138000", "", "support", 100.0))
    board.apply(CallAnswered("bj", "c2", A2, "support", "13800138000", 101.0, 1.0, 1.0))
    change = board.apply(OfferWithdrawn("bj", "c2", A1, "answered_elsewhere", 101.0))
    assert change.seats == {A1}
    assert board.seats[A1].current_call() is None
    assert board.seats[A2].current_call() is not None
    # A late withdrawal never removes the call the seat is talking on.
    assert not board.apply(OfferWithdrawn("bj", "c2", A2, "no_answer", 101.5))


def test_transfer_takes_the_call_off_the_transferring_seat() -> None:
    board = _board()
    board.apply(CallOffered("bj", "c3", A1, "13800138000", "", "support", 100.0))
    board.apply(CallAnswered("bj", "c3", A1, "support", "13800138000", 101.0, 1.0, 1.0))
    board.apply(CallTransferred("bj", "c3", A1, A2, "blind", 120.0))
    assert board.seats[A1].current_call() is None


def test_a_state_without_a_call_clears_any_call_left_on_the_seat() -> None:
    board = _board()
    board.apply(CallOffered("bj", "c4", A1, "13800138000", "", "support", 100.0))
    board.apply(_state(A1, "ready", 130.0))
    assert board.seats[A1].current_call() is None


def test_supervisor_of_another_team_sees_the_call_but_not_who_is_calling() -> None:
    board = _board()
    board.apply(CallOffered("bj", "c5", A1, "13800138000", "王小明", "support", 100.0))
    own = seat_json(board, board.seats[A1], Audience(everything=False, team="north"))["call"]
    other = seat_json(board, board.seats[A1], Audience(everything=False, team="south"))["call"]
    assert (own["number"], own["name"]) == ("13800138000", "王小明")
    assert "number" not in other and "name" not in other and other["queue"] == "support"


def test_caller_moved_to_another_queue_waits_only_there() -> None:
    board = _board()
    board.apply(CallQueued("bj", "c6", "13800138000", "", "support", 1, 100.0))
    change = board.apply(CallQueued("bj", "c6", "13800138000", "", "sales", 1, 130.0))
    assert change.queues == {"support", "sales"}
    assert (len(board.queues["support"].waiting), board.queues["sales"].waiting) == (0, {"bj:c6": 130.0})


def test_abandoned_caller_leaves_the_queue() -> None:
    board = _board()
    board.apply(CallQueued("bj", "c7", "13800138000", "", "support", 1, 100.0))
    ended = CallEnded(
        "bj", "c7", "abandoned", "13800138000", "", "support", None, 140.0, 100.0, None, 40.0, 0.0
    )
    assert board.apply(ended).queues == {"support"}
    assert not board.queues["support"].waiting


def test_account_removed_then_seat_leaves_when_idle_and_stays_while_logged_in() -> None:
    board = _board()
    board.apply(_state(A2, "logged_out", 200.0, queues=()))
    change = board.set_directory([Agent(A1, "李娜", "north")])
    assert change.gone == {A2} and A2 not in board.seats
    board.apply(_state("PJSIP/1003", "ready", 201.0))  # a queue member nobody has an account for
    assert board.seats["PJSIP/1003"].name == "PJSIP/1003"
    assert not board.set_directory([Agent(A1, "李娜", "north")]).gone  # still in a queue: it stays


def test_delta_carries_only_what_changed_and_pbx_links() -> None:
    board = _board()
    change = board.apply(PbxLinkChanged("bj", False, "connection lost", 150.0))
    message = delta(board, change, ADMIN, 151.0)
    assert message == {
        "type": "delta",
        "now": 151.0,
        "seats": [],
        "queues": [],
        "gone": [],
        "links": {"bj": False},
    }
    change = board.apply(_state(A1, "paused", 152.0, "training"))
    message = delta(board, change, ADMIN, 153.0)
    assert [s["agent"] for s in message["seats"]] == [A1] and "links" not in message
    assert message["seats"][0]["reason"] == "training"
    [queue] = message["queues"]
    assert {k: v for k, v in queue.items() if k != "today"} == {
        "name": "support", "waiting": 0, "oldest": None, "ready": 0, "busy": 0, "paused": 2
    }  # fmt: skip
    assert queue["today"]["offered"] == 0 and queue["today"]["service_level"] is None  # no call today yet
