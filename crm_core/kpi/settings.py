"""The choices a KPI figure depends on, as one typed value handed in by the composition root.

Why a value of its own: every report echoes the settings it was computed with beside its
figures, and the wallboard's "today so far" must use the very same ones, so they travel
together instead of being read from config by each user.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SL_ABANDONS = ("none", "all", "after_t")  # which unanswered calls count in the service level


@dataclass(frozen=True)
class KpiSettings:
    timezone: str = "Asia/Shanghai"  # intervals and "days" are cut in this zone
    service_level_seconds: float = 20.0  # T: answered within T seconds is "in service level"
    short_abandon_seconds: float = 5.0  # a caller who hangs up sooner is a short abandon
    short_abandons_counted: bool = False  # True: short abandons stay in offered, abandoned and SL
    service_level_abandons: str = "after_t"  # none | all | after_t (see figures.service_level)
    fcr_days: int = 7  # a repeat call within this many days undoes first-contact resolution

    def __post_init__(self) -> None:
        problem = self.problem()
        if problem is not None:
            raise ValueError(problem)

    def problem(self) -> str | None:
        """What is wrong with these settings (naming the key), or None."""
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return f"timezone: unknown time zone {self.timezone!r}"
        if self.service_level_seconds <= 0:
            return "service_level_seconds: must be positive"
        if self.short_abandon_seconds < 0:
            return "short_abandon_seconds: must not be negative"
        if self.service_level_abandons not in SL_ABANDONS:
            return f"service_level_abandons: must be one of {', '.join(SL_ABANDONS)}"
        if not 1 <= self.fcr_days <= 90:
            return "fcr_days: must be between 1 and 90"
        return None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
