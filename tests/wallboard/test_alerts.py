"""Wallboard alerts on the board alone: raised when a threshold is crossed, cleared when back under.

Pure: scripted domain events with exact times, evaluated at chosen instants.
"""

from __future__ import annotations

from agent_ui.wallboard.alerts import PAUSED, QUEUE_WAIT, SERVICE_LEVEL, Alert, Thresholds, evaluate
from agent_ui.wallboard.board import Agent, Board
from agent_ui.wallboard.render import Audience, snapshot
from agent_ui.wallboard.today import Today
from crm_core.events import AgentStateChanged, CallAnswered, CallEnded, CallQueued
from crm_core.kpi import KpiSettings

A1, A2 = "PJSIP/1001", "PJSIP/1002"
LIMITS = Thresholds(queue_wait_seconds=60, service_level_percent=80, paused_minutes=15)
T0 = 1_764_547_200.0  # 2025-12-01 08:00 in Asia/Shanghai


def _board() -> Board:
    board = Board(
        Today(KpiSettings(timezone="Asia/Shanghai", service_level_seconds=20, short_abandon_seconds=5))
    )
    board.set_directory([Agent(A1, "李娜", "A", 11), Agent(A2, "Tom", "B", 12)])
    board.apply(AgentStateChanged("bj", A1, "ready", "", ("support",), T0))
    board.apply(AgentStateChanged("bj", A2, "ready", "", ("support",), T0))
    return board


def _ended(call_id: str, outcome: str, wait: float, queued_at: float) -> CallEnded:
    answered = queued_at + wait if outcome == "answered" else None
    return CallEnded(
        "bj", call_id, outcome, "13800138000", "", "support", A1 if answered else None,
        queued_at + wait + 30, queued_at, answered, wait, 30.0 if answered else 0.0,
    )  # fmt: skip


def test_a_caller_waiting_longer_than_the_limit_raises_a_queue_alert_cleared_when_answered() -> None:
    board = _board()
    board.apply(CallQueued("bj", "c1", "13800138000", "", "support", 1, T0 + 100))
    assert evaluate(board, T0 + 160, LIMITS) == {}  # exactly 60 s: not over yet
    alerts = evaluate(board, T0 + 160.5, LIMITS)
    assert alerts == {"queue_wait:support": Alert(QUEUE_WAIT, "support", 60, since=T0 + 160)}
    assert evaluate(board, T0 + 400, LIMITS) == alerts  # the same alert while it holds: since does not move

    board.apply(CallQueued("bj", "c2", "13900139000", "", "support", 2, T0 + 150))
    board.apply(CallAnswered("bj", "c1", A1, "support", "13800138000", T0 + 170, 70, 2))
    # c2 has waited 20 s: the oldest caller now is under the limit again
    assert evaluate(board, T0 + 170, LIMITS) == {}
    assert evaluate(board, T0 + 211, LIMITS)["queue_wait:support"].since == T0 + 210


def test_an_agent_paused_longer_than_the_limit_raises_a_seat_alert_cleared_when_ready() -> None:
    board = _board()
    board.apply(AgentStateChanged("bj", A2, "paused", "lunch", ("support",), T0 + 10))
    assert evaluate(board, T0 + 10 + 15 * 60, LIMITS) == {}
    alerts = evaluate(board, T0 + 10 + 15 * 60 + 1, LIMITS)
    assert list(alerts.values()) == [Alert(PAUSED, A2, 15, since=T0 + 910)]
    board.apply(AgentStateChanged("bj", A2, "ready", "", ("support",), T0 + 2000))
    assert evaluate(board, T0 + 2001, LIMITS) == {}


def test_service_level_under_the_limit_raises_a_queue_alert_cleared_when_it_recovers() -> None:
    board = _board()
    assert evaluate(board, T0, LIMITS) == {}  # no call yet: no service level, no alert
    board.apply(_ended("c1", "answered", 10, T0 + 100))  # within T = 20 s
    board.apply(_ended("c2", "answered", 30, T0 + 200))  # late
    # answered in time 1 / (answered 2 + abandoned 0) = 50 %
    assert evaluate(board, T0 + 300, LIMITS) == {
        "service_level:support": Alert(SERVICE_LEVEL, "support", 80, value=50.0)
    }
    board.apply(_ended("c3", "abandoned", 3, T0 + 300))  # a short abandon (under 5 s): not counted
    board.apply(_ended("c4", "answered", 5, T0 + 400))
    assert evaluate(board, T0 + 500, LIMITS)["service_level:support"].value == 66.67  # 2 / 3
    board.apply(_ended("c5", "answered", 20, T0 + 500))  # exactly T: in time
    board.apply(_ended("c6", "answered", 1, T0 + 600))
    assert evaluate(board, T0 + 700, LIMITS) == {}  # 4 / 5 = 80 %: not under 80 %


def test_a_threshold_of_zero_is_off() -> None:
    board = _board()
    board.apply(CallQueued("bj", "c1", "13800138000", "", "support", 1, T0))
    board.apply(AgentStateChanged("bj", A1, "paused", "lunch", ("support",), T0))
    board.apply(_ended("c0", "answered", 100, T0))
    assert len(evaluate(board, T0 + 3600, LIMITS)) == 3
    assert evaluate(board, T0 + 3600, Thresholds()) == {}


def test_the_snapshot_carries_the_alerts_and_whom_a_screen_may_act_on() -> None:
    board = _board()
    lead = Agent("PJSIP/2001", "王主管", "A", 13, role="supervisor")  # the supervisor's own phone
    board.set_directory([Agent(A1, "李娜", "A", 11), Agent(A2, "Tom", "B", 12), lead])
    alert = Alert(PAUSED, A2, 15, since=T0 + 910)
    shot = snapshot(board, Audience(everything=False, team="A"), T0 + 1000, [alert])
    assert shot["alerts"] == [
        {"key": f"paused:{A2}", "kind": "paused", "subject": A2, "threshold": 15, "since": T0 + 910,
         "value": None}
    ]  # fmt: skip
    seats = {s["agent"]: s for s in shot["seats"]}
    assert (seats[A1]["agent_id"], seats[A1]["actions"]) == (11, True)  # team A's supervisor acts on team A
    assert (seats[A2]["agent_id"], seats[A2]["actions"]) == (12, False)
    assert seats["PJSIP/2001"]["actions"] is False  # a supervisor acts on agents, not on a supervisor
    everyone = snapshot(board, Audience(everything=True), T0, [])
    assert all(s["actions"] for s in everyone["seats"])
    nobody = snapshot(board, Audience(everything=False, team=None), T0, [])
    assert not any(s["actions"] for s in nobody["seats"])  # a supervisor with no team acts on nobody
