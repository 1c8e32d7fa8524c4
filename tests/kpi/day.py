"""A synthetic day of a small call center (Shanghai, Monday 2026-11-30), built by hand.

Three agents: 1 李娜 and 2 Tom in team A, 3 Wu in team B; queues "support" and "sales".
Every figure the tests expect is worked out from these rows in the test files themselves.
The same day is written into a real database by `write_day`, so the service and the API
must come to the very same figures.

Calls (local time, wait / talk incl. hold / hold / wrap-up in seconds):
  c1  09:05 support  answered by 1  wait 10  talk 300 hold 60 wrap 30  survey 5  customer 100 "resolved"
  c2  09:20 support  answered by 2  wait 30  talk 200 hold 0  wrap 20  survey 3  customer 101 "follow_up"
  c3  09:40 support  abandoned      wait 3   (short: under 5 s)
  c4  09:50 support  abandoned      wait 40
  c5  10:10 sales    answered by 3  wait 15  talk 120 hold 0  wrap 10            customer 102 "sales"
  c6  10:30 sales    abandoned      wait 13
  c7  10:45 support  timed out (no_answer) wait 90
  c8  11:00 support  answered by 1  wait 5   talk 100 hold 20 wrap 0   survey 4  customer 101 "follow_up"
  c9  14:00 outbound by 2 answered  talk 60                                       (not a queue call)
  c10 next day 10:00 support answered by 2 wait 8 talk 50 customer 100 "complaint" (outside the day)
  c11 12:00 support  answered by 3  wait 25  talk 180 hold 0  wrap 15  unknown caller (number only),
      no disposition
  c12 15:00 support  still ringing (no outcome yet)
  c13 the day before 23:50 support answered by 1 wait 4 (outside the day)
A service request opened on c1 at 09:10 is still open.

Seat spans (local time):
  agent 1: 09:00-09:30 ready, 09:30-09:40 on_call, 09:40-09:45 on_hold, 09:45-09:50 wrap_up,
           09:50-10:20 paused "lunch", 10:20-10:30 ready, 10:30-12:00 logged_out
  agent 2: 09:00-09:15 ready, 09:15-09:45 on_call, 09:45-09:50 wrap_up, 09:50-10:00 paused "break",
           10:00-10:05 ringing, 10:05-10:30 ready
  agent 3: 10:00-10:40 ready, 10:40-11:00 on_call
Callback attempts: 13:00 by 1 for support answered; 13:30 by 2 for support no answer;
15:00 by 3 for sales answered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from crm_core.kpi.facts import CallbackFact, CallFact, RequestWindow, SeatSpan, caller_key

ZONE = ZoneInfo("Asia/Shanghai")
DAY_START = datetime(2026, 11, 30, tzinfo=ZONE)
DAY_END = DAY_START + timedelta(days=1)
NEXT_DAY = datetime(2026, 12, 1, tzinfo=ZONE)
NAMES = {1: "李娜", 2: "Tom", 3: "Wu"}
TEAMS = {1: "A", 2: "A", 3: "B"}


def at(hhmm: str, day: int = 30) -> datetime:
    """Local wall-clock time of the synthetic day, as UTC."""
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return datetime(2026, 11, day, hours, minutes, tzinfo=ZONE).astimezone(UTC)


def _call(
    id: int, when: datetime, queue: str | None, agent: int | None, outcome: str | None, wait: float = 0.0,
    talk: float = 0.0, hold: float = 0.0, wrap: float = 0.0, survey: int | None = None,
    customer: int | None = None, number: str = "", disposition: str | None = None, direction: str = "inbound",
) -> CallFact:  # fmt: skip
    return CallFact(
        id, when, direction, queue, agent, outcome, wait, talk, hold, wrap, survey,
        caller_key(customer, number), disposition,
    )  # fmt: skip


CALLS = [
    _call(1, at("09:05"), "support", 1, "answered", 10, 300, 60, 30, 5, customer=100, disposition="resolved"),
    _call(2, at("09:20"), "support", 2, "answered", 30, 200, 0, 20, 3, customer=101, disposition="follow_up"),
    _call(3, at("09:40"), "support", None, "abandoned", 3, number="+8613900000003"),
    _call(4, at("09:50"), "support", None, "abandoned", 40, number="+8613900000004"),
    _call(5, at("10:10"), "sales", 3, "answered", 15, 120, 0, 10, customer=102, disposition="sales"),
    _call(6, at("10:30"), "sales", None, "abandoned", 13, number="+8613900000006"),
    _call(7, at("10:45"), "support", None, "no_answer", 90, number="+8613900000007"),
    _call(8, at("11:00"), "support", 1, "answered", 5, 100, 20, 0, 4, customer=101, disposition="follow_up"),
    _call(9, at("14:00"), None, 2, "answered", 0, 60, customer=103, direction="outbound"),
    _call(
        10,
        NEXT_DAY + timedelta(hours=10),
        "support",
        2,
        "answered",
        8,
        50,
        customer=100,
        disposition="complaint",
    ),
    _call(11, at("12:00"), "support", 3, "answered", 25, 180, 0, 15, number="+8613800000000"),
    _call(12, at("15:00"), "support", None, None, number="+8613900000012"),
    _call(13, at("23:50", day=29), "support", 1, "answered", 4, 60, customer=104, disposition="resolved"),
]
IN_DAY = [c for c in CALLS if DAY_START <= c.started_at < DAY_END]
LATER = [c for c in CALLS if c.started_at >= DAY_END]
REQUESTS = [RequestWindow(1, at("09:10"), None)]


def _spans(agent: int, *parts: tuple[str, str, str, str]) -> list[SeatSpan]:
    return [SeatSpan(agent, state, reason, at(a), at(b)) for a, b, state, reason in parts]


SPANS = [
    *_spans(
        1,
        ("09:00", "09:30", "ready", ""),
        ("09:30", "09:40", "on_call", ""),
        ("09:40", "09:45", "on_hold", ""),
        ("09:45", "09:50", "wrap_up", ""),
        ("09:50", "10:20", "paused", "lunch"),
        ("10:20", "10:30", "ready", ""),
        ("10:30", "12:00", "logged_out", ""),
    ),
    *_spans(
        2,
        ("09:00", "09:15", "ready", ""),
        ("09:15", "09:45", "on_call", ""),
        ("09:45", "09:50", "wrap_up", ""),
        ("09:50", "10:00", "paused", "break"),
        ("10:00", "10:05", "ringing", ""),
        ("10:05", "10:30", "ready", ""),
    ),
    *_spans(3, ("10:00", "10:40", "ready", ""), ("10:40", "11:00", "on_call", "")),
]
CALLBACKS = [
    CallbackFact(at("13:00"), 1, "support", True),
    CallbackFact(at("13:30"), 2, "support", False),
    CallbackFact(at("15:00"), 3, "sales", True),
]
