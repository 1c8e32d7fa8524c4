"""Call-center KPIs: pure figures from call records, seat history, callbacks and surveys.

- `facts`: the plain values figures are computed from; `figures`: the formulas (`Tally`) and
  the translated definition of each figure; `fcr`: first-contact resolution and what "the same
  matter" means; `intervals`: 15-minute, hourly and daily buckets in the configured time zone;
  `report` and `agents`: rows per interval × queue / agent / team, and agent performance.
- `service.KpiReports` loads a viewer's rows (`loader`, team-scoped by `scope`) and calls them.
The wallboard's "today so far" uses the same `Tally`, so both always agree.
"""

from crm_core.kpi.facts import CallbackFact, CallFact, SeatSpan, caller_key
from crm_core.kpi.figures import DEFINITIONS, FIGURE_SETTINGS, FIGURES, Tally
from crm_core.kpi.report import DIMENSIONS, KpiData, KpiQuery, kpi_rows, kpi_total
from crm_core.kpi.settings import SL_ABANDONS, KpiSettings

__all__ = [
    "DEFINITIONS",
    "DIMENSIONS",
    "FIGURES",
    "FIGURE_SETTINGS",
    "SL_ABANDONS",
    "CallFact",
    "CallbackFact",
    "KpiData",
    "KpiQuery",
    "KpiSettings",
    "SeatSpan",
    "Tally",
    "caller_key",
    "kpi_rows",
    "kpi_total",
]
