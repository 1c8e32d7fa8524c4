"""The call-center figures and their formulas, in one place.

A `Tally` collects the calls, seat time and callback attempts of one group (an interval,
a queue, an agent…) and turns them into figures. Every formula a report, the wallboard or a
test relies on is here, and `DEFINITIONS` names the translated text (kpi.po) that states it,
with `FIGURE_SETTINGS` listing the settings it depends on, so a report can show both.

Formulas (a "queue call" is an inbound call that entered a queue and has ended; W its wait):
- short abandon: a queue call abandoned with W < short_abandon_seconds. Always counted in
  `short_abandoned`; unless `short_abandons_counted`, left out of every other figure.
- offered = answered + abandoned + timed_out (timed out: left the queue unanswered without
  hanging up, e.g. the queue's timeout).
- ASA = Σ W(answered) / answered;  avg_wait = Σ W(offered) / offered;  max_wait = max W(offered).
- AHT = Σ (talk + hold + wrap-up) / answered. The recorded talk runs from answer to hang-up and
  already includes hold, so talk (without hold) + hold = recorded talk, and AHT adds wrap-up.
- service level = 100 × answered with W ≤ T / D, where D depends on `service_level_abandons`:
  "none": D = answered; "all": D = answered + abandoned + timed_out;
  "after_t": D = answered + (abandoned + timed_out with W > T).
- abandon rate = 100 × abandoned / offered.
- occupancy = 100 × time on call, on hold or in wrap-up / (logged-in time − paused time).
- FCR = 100 × resolved / answered calls with a known caller (see fcr.py for "same matter").
- callbacks made = attempts dialled; succeeded = attempts the customer answered.
- satisfaction = mean survey score of the calls that have one.
A figure whose denominator is zero is None (shown as "—"), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_core.kpi.facts import BUSY_STATES, IDLE_STATES, QUEUE_CALL_DIRECTION, CallbackFact, CallFact
from crm_core.kpi.settings import KpiSettings

FIGURES = (
    "offered", "answered", "abandoned", "short_abandoned", "timed_out", "asa", "avg_wait", "max_wait",
    "aht", "service_level", "abandon_rate", "occupancy", "fcr", "callbacks_made", "callbacks_succeeded",
    "satisfaction", "surveys",
)  # fmt: skip
DEFINITIONS = {name: f"kpi.def.{name}" for name in FIGURES}
LABELS = {name: f"kpi.label.{name}" for name in FIGURES}
_SHORT = ("short_abandon_seconds", "short_abandons_counted")
FIGURE_SETTINGS: dict[str, tuple[str, ...]] = {
    "offered": _SHORT,
    "answered": (),
    "abandoned": _SHORT,
    "short_abandoned": ("short_abandon_seconds",),
    "timed_out": (),
    "asa": (),
    "avg_wait": _SHORT,
    "max_wait": _SHORT,
    "aht": (),
    "service_level": ("service_level_seconds", "service_level_abandons", *_SHORT),
    "abandon_rate": _SHORT,
    "occupancy": (),
    "fcr": ("fcr_days",),
    "callbacks_made": (),
    "callbacks_succeeded": (),
    "satisfaction": (),
    "surveys": (),
}
UNITS = {"asa": "s", "avg_wait": "s", "max_wait": "s", "aht": "s"}
UNITS |= {name: "%" for name in ("service_level", "abandon_rate", "occupancy", "fcr")}


_SUMS = (
    "offered", "answered", "abandoned", "short_abandoned", "timed_out", "answered_in_t", "unanswered_after_t",
    "wait_answered", "wait_offered", "handle", "busy_seconds", "available_seconds", "fcr_calls",
    "fcr_resolved", "callbacks_made", "callbacks_succeeded", "survey_sum", "surveys",
)  # fmt: skip


def ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return None if whole <= 0 else round(scale * part / whole, 2)


@dataclass
class Tally:
    """Running sums for one group; `figures()` applies the formulas above."""

    settings: KpiSettings
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    timed_out: int = 0
    answered_in_t: int = 0
    unanswered_after_t: int = 0
    wait_answered: float = 0.0
    wait_offered: float = 0.0
    max_wait: float | None = None
    handle: float = 0.0
    busy_seconds: float = 0.0
    available_seconds: float = 0.0
    fcr_calls: int = 0
    fcr_resolved: int = 0
    callbacks_made: int = 0
    callbacks_succeeded: int = 0
    survey_sum: int = 0
    surveys: int = 0

    def add_call(self, call: CallFact, fcr: bool | None = None) -> None:
        """Count a call if it is a queue call; fcr: whether it was resolved first time (None: n/a).
        Written flat: a report calls it for every call of its range."""
        outcome, wait, s = call.outcome, call.wait, self.settings
        if outcome is None or call.queue is None or call.direction != QUEUE_CALL_DIRECTION:
            return
        if outcome == "abandoned" and wait < s.short_abandon_seconds:
            self.short_abandoned += 1
            if not s.short_abandons_counted:
                return
        self.offered += 1
        self.wait_offered += wait
        if self.max_wait is None or wait > self.max_wait:
            self.max_wait = wait
        if outcome == "answered":
            self._answered(call, fcr)
            return
        if outcome == "abandoned":
            self.abandoned += 1
        else:
            self.timed_out += 1
        if wait > s.service_level_seconds:
            self.unanswered_after_t += 1

    def _answered(self, call: CallFact, fcr: bool | None) -> None:
        self.answered += 1
        self.wait_answered += call.wait
        self.answered_in_t += int(call.wait <= self.settings.service_level_seconds)
        self.handle += call.talk + call.wrapup  # = talk without hold + hold + wrap-up
        if call.survey_score is not None:
            self.survey_sum += call.survey_score
            self.surveys += 1
        if fcr is not None:
            self.fcr_calls += 1
            self.fcr_resolved += int(fcr)

    def add_seat_time(self, state: str, seconds: float) -> None:
        if state in BUSY_STATES:
            self.busy_seconds += seconds
            self.available_seconds += seconds
        elif state in IDLE_STATES:
            self.available_seconds += seconds

    def add_callback(self, attempt: CallbackFact) -> None:
        self.callbacks_made += 1
        self.callbacks_succeeded += int(attempt.succeeded)

    def merge(self, other: Tally) -> None:
        """Add another group's sums to these: a report's total is its groups merged."""
        for name in _SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.max_wait is not None:
            self.max_wait = other.max_wait if self.max_wait is None else max(self.max_wait, other.max_wait)

    def service_level(self) -> float | None:
        mode = self.settings.service_level_abandons
        unanswered = self.abandoned + self.timed_out
        counted = {"none": 0, "all": unanswered, "after_t": self.unanswered_after_t}[mode]
        return ratio(self.answered_in_t, self.answered + counted, 100)

    def figures(self) -> dict[str, Any]:
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "short_abandoned": self.short_abandoned,
            "timed_out": self.timed_out,
            "asa": ratio(self.wait_answered, self.answered),
            "avg_wait": ratio(self.wait_offered, self.offered),
            "max_wait": None if self.max_wait is None else round(self.max_wait, 2),
            "aht": ratio(self.handle, self.answered),
            "service_level": self.service_level(),
            "abandon_rate": ratio(self.abandoned, self.offered, 100),
            "occupancy": ratio(self.busy_seconds, self.available_seconds, 100),
            "fcr": ratio(self.fcr_resolved, self.fcr_calls, 100),
            "callbacks_made": self.callbacks_made,
            "callbacks_succeeded": self.callbacks_succeeded,
            "satisfaction": ratio(self.survey_sum, self.surveys),
            "surveys": self.surveys,
        }
