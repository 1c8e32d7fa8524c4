"""What a wallboard screen is sent: the board as JSON, for one audience.

Supervisors watch every seat, but who is calling is personal data: the caller's
number and name are shown on the seats of the supervisor's own team only (and to
administrators everywhere); other seats show the state, queue and duration of the
call without the caller. Everything else is the same for every screen, so the hub
encodes each update once per audience, not once per screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agent_ui.wallboard.alerts import Alert
from agent_ui.wallboard.board import Board, Change, Seat, SeatCall


@dataclass(frozen=True, slots=True)
class Audience:
    """Who is watching: everything (administrators) or one team's callers (a supervisor)."""

    everything: bool
    team: str | None = None

    @property
    def key(self) -> str:
        return "*" if self.everything else f"team:{self.team or ''}"

    def sees_caller(self, seat: Seat) -> bool:
        """Same team; a supervisor with no team sees the seats with no team (a centre without teams)."""
        return self.everything or seat.team == self.team

    def acts_on(self, seat: Seat) -> bool:
        """Whether the supervisor actions are offered on the seat, as agent_ui.supervisor allows them:
        administrators on every account's seat; a supervisor on the agents of their own team (one
        with no team acts on nobody)."""
        if seat.user_id is None:
            return False
        return self.everything or (bool(self.team) and seat.team == self.team and seat.role == "agent")


def audience_for(role: str, team: str | None) -> Audience:
    return Audience(everything=role == "admin", team=team)


def call_json(board: Board, call: SeatCall, with_caller: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "queue": call.queue,
        "direction": call.direction,
        "answered": call.answered,
        "since": call.since,
    }
    if with_caller:
        known = board.callers.get(call.key)
        data["number"] = known.number if known else call.number
        name = known.name if known and known.name else ""
        if not name and call.caller_name not in ("", call.number):
            name = call.caller_name  # what the PBX calls them, when the CRM does not know them
        data["name"] = name
    return data


def seat_json(board: Board, seat: Seat, audience: Audience) -> dict[str, Any]:
    call = seat.current_call()
    return {
        "agent": seat.agent,
        "agent_id": seat.user_id,
        "actions": audience.acts_on(seat),
        "name": seat.name,
        "team": seat.team,
        "pbx": seat.pbx,
        "state": seat.state,
        "reason": seat.reason,
        "since": seat.since,
        "queues": list(seat.queues),
        "call": call_json(board, call, audience.sees_caller(seat)) if call else None,
    }


def queue_json(board: Board, name: str) -> dict[str, Any]:
    row = board.queues[name]
    return {
        "name": name,
        "waiting": len(row.waiting),
        "oldest": min(row.waiting.values()) if row.waiting else None,
        **board.queue_counts(name),
        "today": board.today.figures(name),
    }


def alerts_json(alerts: Iterable[Alert]) -> list[dict[str, Any]]:
    return [a.to_json() for a in sorted(alerts, key=lambda a: a.key)]


def snapshot(board: Board, audience: Audience, now: float, alerts: Iterable[Alert] = ()) -> dict[str, Any]:
    """The whole board: what a screen gets when it connects (or reconnects)."""
    seats = sorted(board.seats.values(), key=lambda s: (s.team or "", s.name, s.agent))
    return {
        "type": "snapshot",
        "now": now,
        "seats": [seat_json(board, s, audience) for s in seats],
        "queues": [queue_json(board, name) for name in sorted(board.queues)],
        "links": dict(board.links),
        "alerts": alerts_json(alerts),
    }


def delta(
    board: Board, change: Change, audience: Audience, now: float, alerts: Iterable[Alert] | None = None
) -> dict[str, Any]:
    """Only what changed: the seats and queues to redraw, the seats to remove; every alert when they moved."""
    message: dict[str, Any] = {
        "type": "delta",
        "now": now,
        "seats": [
            seat_json(board, board.seats[a], audience) for a in sorted(change.seats) if a in board.seats
        ],
        "queues": [queue_json(board, name) for name in sorted(change.queues) if name in board.queues],
        "gone": sorted(a for a in change.gone if a not in board.seats),
    }
    if change.links:
        message["links"] = dict(board.links)
    if alerts is not None:
        message["alerts"] = alerts_json(alerts)
    return message
