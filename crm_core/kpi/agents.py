"""The agent performance report: per agent, the calls handled and where the logged-in time went.

Calls here are every answered call the agent had last (inbound from a queue or direct,
outbound, internal), not only queue calls: it is the agent's work. Time comes from the seat
history, cut to the range: logged in = every state but logged_out; ready = ready or ringing;
wrap-up = time in the wrap_up state; pauses are summed per reason (the empty reason is a
pause given none). Occupancy is the formula of figures.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm_core.kpi.facts import BUSY_STATES, IDLE_STATES, LOGGED_OUT, PAUSED, CallbackFact, CallFact, SeatSpan
from crm_core.kpi.figures import ratio
from crm_core.kpi.report import KpiData, KpiQuery

AGENT_COLUMNS = (
    "calls", "inbound_calls", "outbound_calls", "talk_seconds", "hold_seconds", "aht", "wrapup_seconds",
    "logged_in_seconds", "ready_seconds", "pause_seconds", "occupancy", "satisfaction", "surveys",
    "callbacks_made", "callbacks_succeeded",
)  # fmt: skip
AGENT_DEFINITIONS = {name: f"kpi.def.agent.{name}" for name in (*AGENT_COLUMNS, "pause_by_reason")}


@dataclass
class _Agent:
    calls: int = 0
    inbound: int = 0
    outbound: int = 0
    talk: float = 0.0  # recorded talk, hold included
    hold: float = 0.0
    handle: float = 0.0
    seat: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    pauses: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    survey_sum: int = 0
    surveys: int = 0
    callbacks_made: int = 0
    callbacks_succeeded: int = 0

    def add_call(self, call: CallFact) -> None:
        self.calls += 1
        self.inbound += int(call.direction == "inbound")
        self.outbound += int(call.direction == "outbound")
        self.talk += call.talk
        self.hold += call.hold
        self.handle += call.talk + call.wrapup
        if call.survey_score is not None:
            self.survey_sum += call.survey_score
            self.surveys += 1

    def add_span(self, span: SeatSpan, seconds: float) -> None:
        self.seat[span.state] += seconds
        if span.state == PAUSED:
            self.pauses[span.reason] += seconds

    def add_callback(self, attempt: CallbackFact) -> None:
        self.callbacks_made += 1
        self.callbacks_succeeded += int(attempt.succeeded)

    def figures(self) -> dict[str, Any]:
        seat = self.seat
        busy = sum(seat[s] for s in BUSY_STATES)
        available = busy + sum(seat[s] for s in IDLE_STATES)
        logged_in = sum(v for state, v in seat.items() if state != LOGGED_OUT)
        return {
            "calls": self.calls,
            "inbound_calls": self.inbound,
            "outbound_calls": self.outbound,
            "talk_seconds": round(self.talk - self.hold, 2),
            "hold_seconds": round(self.hold, 2),
            "aht": ratio(self.handle, self.calls),
            "wrapup_seconds": round(seat["wrap_up"], 2),
            "logged_in_seconds": round(logged_in, 2),
            "ready_seconds": round(sum(seat[s] for s in IDLE_STATES), 2),
            "pause_seconds": round(seat[PAUSED], 2),
            "pause_by_reason": {reason: round(v, 2) for reason, v in sorted(self.pauses.items())},
            "occupancy": ratio(busy, available, 100),
            "satisfaction": ratio(self.survey_sum, self.surveys),
            "surveys": self.surveys,
            "callbacks_made": self.callbacks_made,
            "callbacks_succeeded": self.callbacks_succeeded,
        }


def agent_rows(data: KpiData, query: KpiQuery, agents: Iterable[int]) -> list[dict[str, Any]]:
    """One row per agent of `agents` (those in the viewer's scope), busy or not, by name."""
    tallies = {agent_id: _Agent() for agent_id in agents}

    def of(agent_id: int | None) -> _Agent | None:
        return None if agent_id is None else tallies.get(agent_id)

    def inside(at: datetime) -> bool:
        return query.start <= at < query.end

    for call in data.calls:
        if (tally := of(call.agent_id)) and call.answered and inside(call.started_at):
            tally.add_call(call)
    for span in data.spans:
        start, end = max(span.start, query.start), min(span.end, query.end)
        if (tally := of(span.agent_id)) and start < end:
            tally.add_span(span, (end - start).total_seconds())
    for attempt in data.callbacks:
        if (tally := of(attempt.agent_id)) and inside(attempt.at):
            tally.add_callback(attempt)
    rows = [
        {"agent_id": agent_id, "agent_name": data.names.get(agent_id, f"#{agent_id}")}
        | {"team": data.teams.get(agent_id)}
        | tally.figures()
        for agent_id, tally in tallies.items()
    ]
    return sorted(rows, key=lambda r: (r["agent_name"], r["agent_id"]))
