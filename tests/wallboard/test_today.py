"""Today's queue figures on the board, against a sequence of calls worked out by hand.

Settings: the [kpi] defaults in Asia/Shanghai: service level T = 20 s, short abandons (under
5 s) counted apart and left out, unanswered calls counted in the service level only when they
waited over T ("after_t"). T0 is 2025-12-01 08:00 in Shanghai (00:00 UTC): today is 1 December.
"""

from __future__ import annotations

from datetime import UTC, datetime

from agent_ui.wallboard.board import Board
from agent_ui.wallboard.render import Audience, snapshot
from agent_ui.wallboard.today import Today
from crm_core.events import CallEnded
from crm_core.kpi import CallFact, KpiSettings

T0 = 1_764_547_200.0
MIDNIGHT = T0 + 16 * 3600  # 2025-12-02 00:00 in Shanghai (16:00 UTC)
RULES = KpiSettings(timezone="Asia/Shanghai", service_level_seconds=20, short_abandon_seconds=5)


def _ended(call_id: str, outcome: str, wait: float, queued_at: float, **kw: object) -> CallEnded:
    answered = queued_at + wait if outcome == "answered" else None
    fields = {
        "pbx": "bj", "call_id": call_id, "outcome": outcome, "caller_number": "13800138000",
        "caller_name": "", "queue": "support", "agent": "PJSIP/1001" if answered else None,
        "at": queued_at + wait + 60, "queued_at": queued_at, "answered_at": answered,
        "wait_seconds": wait, "talk_seconds": 60.0 if answered else 0.0,
    } | kw  # fmt: skip
    return CallEnded(**fields)  # type: ignore[arg-type]


SEQUENCE = [
    _ended("c0", "answered", 8, T0 - 9 * 3600),  # 30 Nov 23:00 in Shanghai: yesterday, not counted
    _ended("c1", "answered", 12, T0 + 60),  # in time (12 <= 20)
    _ended("c2", "answered", 25, T0 + 120),  # late
    _ended("c3", "abandoned", 3, T0 + 180),  # short abandon (3 < 5): apart, not offered
    _ended("c4", "abandoned", 40, T0 + 240),  # abandoned after T
    _ended("c5", "abandoned", 10, T0 + 300),  # abandoned before T
    _ended("c6", "no_answer", 60, T0 + 360),  # the queue timed out (after T): offered, timed out
    _ended("c7", "answered", 20, T0 + 420),  # exactly T: in time
    _ended("c1", "answered", 12, T0 + 60),  # c1's end again (a resync): counted once
    _ended("o1", "answered", 0, T0 + 500, queue=None, direction="outbound"),  # not a queue call
    _ended("s1", "answered", 2, T0 + 600, queue="sales"),
]


def _board(rules: KpiSettings = RULES) -> Board:
    board = Board(Today(rules))
    board.new_day(T0 + 1)  # the hub's first tick: today is 1 December
    for event in SEQUENCE:
        board.apply(event)
    return board


def test_todays_figures_per_queue_match_the_hand_worked_sequence() -> None:
    board = _board()
    # support: answered = c1 c2 c7 = 3; abandoned = c4 c5 = 2; timed out = c6; short = c3 (left out)
    # offered = 3 + 2 + 1 = 6. Service level: in time (c1, c7) = 2 over answered 3 + unanswered
    # after T (c4 40 s, c6 60 s; not c5 at 10 s) 2 = 2 / 5 = 40 %
    assert board.today.figures("support") == {
        "offered": 6, "answered": 3, "abandoned": 2, "short_abandoned": 1,
        "timed_out": 1, "service_level": 40.0,
    }  # fmt: skip
    assert board.today.figures("sales") == {
        "offered": 1, "answered": 1, "abandoned": 0, "short_abandoned": 0,
        "timed_out": 0, "service_level": 100.0,
    }  # fmt: skip
    queues = {q["name"]: q for q in snapshot(board, Audience(everything=True), T0 + 700)["queues"]}
    assert queues["support"]["today"]["offered"] == 6 and queues["sales"]["today"]["answered"] == 1


def test_which_abandons_count_against_the_service_level_is_a_setting() -> None:
    every = _board(KpiSettings("Asia/Shanghai", 20, 5, service_level_abandons="all"))
    assert every.today.service_level("support") == 33.33  # 2 / (3 + c4 + c5 + c6)
    none = _board(KpiSettings("Asia/Shanghai", 20, 5, service_level_abandons="none"))
    assert none.today.service_level("support") == 66.67  # 2 / 3
    counted = _board(KpiSettings("Asia/Shanghai", 20, 5, short_abandons_counted=True))
    figures = counted.today.figures("support")  # c3 is now an abandon like the others (before T)
    assert (figures["offered"], figures["abandoned"], figures["short_abandoned"]) == (7, 3, 1)


def test_at_midnight_in_the_configured_zone_the_figures_start_again() -> None:
    board = _board()
    change = board.apply(_ended("late", "answered", 4, MIDNIGHT - 10))  # 23:59:50, still 1 December
    assert change.queues == {"support"} and board.today.figures("support")["offered"] == 7
    change = board.new_day(MIDNIGHT + 1)  # the first tick of 2 December
    assert change.queues == {"support", "sales"}
    assert board.today.figures("support") == {
        "offered": 0, "answered": 0, "abandoned": 0, "short_abandoned": 0,
        "timed_out": 0, "service_level": None,
    }  # fmt: skip
    board.apply(_ended("next", "abandoned", 30, MIDNIGHT + 5))
    assert board.today.figures("support")["abandoned"] == 1
    assert board.today.service_level("support") == 0.0  # 0 in time / (0 answered + 1 after T)


def _fact(n: int, outcome: str, wait: float, started: float, direction: str = "inbound") -> CallFact:
    at = datetime.fromtimestamp(started, UTC)
    return CallFact(n, at, direction, "support", None, outcome, wait=wait)


def test_seeding_from_call_records_then_live_ends_add_up() -> None:
    board = Board(Today(RULES))
    records = [
        _fact(1, "answered", 5, T0 + 10),
        _fact(2, "abandoned", 30, T0 + 20),
        _fact(3, "answered", 5, T0 + 30, direction="outbound"),  # not a queue call
    ]
    change = board.seed_today(records, T0 + 100)
    assert change.queues == {"support"} and "support" in board.queues  # shown before any live event
    board.apply(_ended("r3", "answered", 30, T0 + 200))
    board.apply(_ended("r3", "answered", 30, T0 + 200))  # its end again (a resync): once
    # offered r1 r2 r3 = 3; answered r1 r3 = 2; abandoned r2 (after T); in time r1: 1 / (2 + 1)
    figures = board.today.figures("support")
    assert (figures["offered"], figures["answered"], figures["abandoned"]) == (3, 2, 1)
    assert figures["service_level"] == 33.33
