"""What the KPI functions are computed from: plain values, not database rows.

Why plain values: the figures are pure functions of these, so a test builds a day of calls
and seat spans by hand and checks every figure without a database, and the service only
loads rows and turns them into these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

QUEUE_CALL_DIRECTION = "inbound"
BUSY_STATES = ("on_call", "on_hold", "wrap_up")  # handling a call: the occupancy numerator
IDLE_STATES = ("ready", "ringing")  # logged in, not paused, not handling: available
PAUSED = "paused"
LOGGED_OUT = "logged_out"


@dataclass(slots=True)  # not frozen: a report builds tens of thousands, frozen ones build slower
class CallFact:
    """One call record, reduced to what the figures need. Times are timezone-aware UTC."""

    id: int
    started_at: datetime  # when the caller joined the queue (or the call began)
    direction: str  # inbound | outbound | internal
    queue: str | None
    agent_id: int | None  # the agent who had the call last (the one who wraps it up)
    outcome: str | None  # answered | abandoned | no_answer | busy | failed; None: not over yet
    wait: float = 0.0  # seconds in the queue until answered or gone
    talk: float = 0.0  # answer to hang-up as recorded: hold time included
    hold: float = 0.0
    wrapup: float = 0.0
    survey_score: int | None = None
    caller: str | None = None  # who called, for first-contact resolution: "c:<customer id>" or "n:<number>"
    disposition: str | None = None

    @property
    def queue_call(self) -> bool:
        """An inbound call that entered a queue and is over: what queue KPIs are made of."""
        return self.direction == QUEUE_CALL_DIRECTION and self.queue is not None and self.outcome is not None

    @property
    def answered(self) -> bool:
        return self.outcome == "answered"

    def short_abandon(self, short_seconds: float) -> bool:
        return self.outcome == "abandoned" and self.wait < short_seconds


def caller_key(customer_id: int | None, number: str | None) -> str | None:
    """The caller's identity for repeat-call matching: the customer, else the number, else unknown."""
    if customer_id is not None:
        return f"c:{customer_id}"
    return f"n:{number}" if number else None


@dataclass(frozen=True, slots=True)
class SeatSpan:
    """An agent's seat in one state from start to end (an open span already cut at "now")."""

    agent_id: int | None
    state: str
    reason: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class CallbackFact:
    """One callback attempt: dialled by agent_id at `at`; succeeded when the customer answered."""

    at: datetime
    agent_id: int | None
    queue: str | None
    succeeded: bool


@dataclass(frozen=True, slots=True)
class RequestWindow:
    """A service request opened on a call, open from `opened` until `closed` (None: still open)."""

    call_id: int
    opened: datetime
    closed: datetime | None
