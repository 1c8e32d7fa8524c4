"""Wallboard alerts: a threshold crossed on a queue or a seat, raised and cleared from the board's state.

Pure like the board: ``evaluate(board, now, thresholds)`` is every alert that holds at
``now``, so the hub can re-evaluate after each change and once a second (a caller's wait
grows with no event at all) and push only when the set changed. An alert that holds is
the same value every time it is evaluated (``since`` is when the threshold was crossed,
worked out from the state, not from when it was noticed), so a screen that connects
later sees the same alert as one that watched it appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent_ui.wallboard.board import Board

QUEUE_WAIT, SERVICE_LEVEL, PAUSED = "queue_wait", "service_level", "paused"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When to alert; 0 turns that alert off ([wallboard] in config.toml)."""

    queue_wait_seconds: float = 0.0  # a caller has waited longer than this
    service_level_percent: float = 0.0  # today's service level of a queue is under this
    paused_minutes: float = 0.0  # an agent has been paused longer than this


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str  # QUEUE_WAIT | SERVICE_LEVEL | PAUSED
    subject: str  # the queue's name, or the seat's interface for PAUSED
    threshold: float
    since: float | None = None  # when the threshold was crossed (waits and pauses)
    value: float | None = None  # the service level (percent) now, for SERVICE_LEVEL

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "subject": self.subject,
            "threshold": self.threshold,
            "since": self.since,
            "value": self.value,
        }


def evaluate(board: Board, now: float, limits: Thresholds) -> dict[str, Alert]:
    """Every alert that holds at ``now``, by key."""
    found: list[Alert] = []
    if limits.queue_wait_seconds > 0:
        found += _long_waits(board, now, limits.queue_wait_seconds)
    if limits.service_level_percent > 0:
        found += _low_service(board, limits.service_level_percent)
    if limits.paused_minutes > 0:
        found += _long_pauses(board, now, limits.paused_minutes)
    return {a.key: a for a in found}


def _long_waits(board: Board, now: float, limit: float) -> list[Alert]:
    out = []
    for row in board.queues.values():
        if row.waiting:
            crossed = min(row.waiting.values()) + limit
            if now > crossed:
                out.append(Alert(QUEUE_WAIT, row.name, limit, since=crossed))
    return out


def _low_service(board: Board, limit: float) -> list[Alert]:
    out = []
    for name in board.queues:
        level = board.today.service_level(name)
        if level is not None and level < limit:
            out.append(Alert(SERVICE_LEVEL, name, limit, value=level))
    return out


def _long_pauses(board: Board, now: float, minutes: float) -> list[Alert]:
    out = []
    for seat in board.seats.values():
        if seat.state == "paused" and seat.since is not None:
            crossed = seat.since + minutes * 60
            if now > crossed:
                out.append(Alert(PAUSED, seat.agent, minutes, since=crossed))
    return out
