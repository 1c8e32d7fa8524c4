"""Today's figures per queue on the wallboard: offered, answered, abandoned, service level so far.

Why kept here and not a report query per update: the board is pushed on every event, and a
query per call would be a query per screen update. So the counts are seeded once from the
call records at start-up and then kept from each CallEnded on the bus (each live call
counted once, by PBX + call id, so a resynced end is not counted twice). "Today" is the
calendar day in the [kpi] time zone; a call belongs to the day it reached the queue, as in
the reports. The counting is crm_core.kpi's own ``Tally`` with the same ``KpiSettings``, so
the wallboard agrees with an administrator's report of the day (the whole center's queues);
a supervisor's report counts only their team's share of a queue shared with other teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from crm_core.events import CallEnded
from crm_core.kpi import CallFact, KpiSettings, Tally

SHOWN = ("offered", "answered", "abandoned", "short_abandoned", "timed_out", "service_level")


@dataclass(slots=True)
class Today:
    """Per-queue tallies for one calendar day; the first call or tick of the next day restarts them."""

    settings: KpiSettings = field(default_factory=KpiSettings)
    day: date | None = None
    tallies: dict[str, Tally] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)  # live calls counted today, by "<pbx>:<call id>"

    def day_of(self, at: float) -> date:
        return datetime.fromtimestamp(at, self.settings.zone).date()

    def bounds(self, now: float) -> tuple[datetime, datetime]:
        """Today in the configured zone, [midnight, next midnight), as UTC: what to seed from."""
        day = self.day_of(now)
        start = datetime.combine(day, time(), self.settings.zone)
        end = datetime.combine(day + timedelta(days=1), time(), self.settings.zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def roll(self, now: float) -> set[str]:
        """Start a new day when ``now`` is in one; the queues whose figures were reset."""
        day = self.day_of(now)
        if self.day is not None and day <= self.day:
            return set()
        reset = set(self.tallies)
        self.day, self.tallies, self.seen = day, {}, set()
        return reset

    def add(self, call: CallFact, key: str | None = None) -> bool:
        """Count one ended call (key: a live call's id, so it counts once); False when nothing moved:
        not a queue call, another day's, or counted already."""
        if not call.queue_call or call.queue is None:
            return False
        at = call.started_at.timestamp()
        if self.day is None or self.day_of(at) > self.day:
            self.roll(at)
        if self.day_of(at) != self.day or (key is not None and key in self.seen):
            return False
        if key is not None:
            self.seen.add(key)
        tally = self.tallies.get(call.queue)
        if tally is None:
            tally = self.tallies[call.queue] = Tally(self.settings)
        tally.add_call(call)
        return True

    def service_level(self, queue: str) -> float | None:
        """The KPI service level of the queue today; None before any call counts in it."""
        tally = self.tallies.get(queue)
        return tally.service_level() if tally is not None else None

    def figures(self, queue: str) -> dict[str, Any]:
        figures = (self.tallies.get(queue) or Tally(self.settings)).figures()
        return {name: figures[name] for name in SHOWN}


def from_event(event: CallEnded) -> tuple[str, CallFact]:
    """An end of call as the KPI fact the reports will read from its call record (and its key)."""
    started = event.queued_at if event.queued_at is not None else event.at
    fact = CallFact(
        id=0,
        started_at=datetime.fromtimestamp(started, UTC),
        direction=event.direction,
        queue=event.queue,
        agent_id=None,
        outcome=event.outcome,
        wait=event.wait_seconds,
        talk=event.talk_seconds,
        hold=event.hold_seconds,
    )
    return f"{event.pbx}:{event.call_id}", fact
