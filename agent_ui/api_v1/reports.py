"""/api/v1/reports: call-center KPIs and agent performance, as JSON or CSV (supervisors, admins).

The figures come from crm_core.kpi; this adds what a person needs beside them: the settings
they were computed with and each figure's definition, translated into the request's language,
so a report page or a spreadsheet never shows a number without saying what it means.

Contract (the reports page is built on it):
GET /api/v1/reports/kpi?from=&to=&interval=15m|hour|day|none&by=queue|agent|team|none
  [&queue=&agent_id=&team=&format=json|csv]
  -> {"settings", "query", "definitions" {figure: text key}, "definition_texts" {figure: text},
      "labels", "units", "figure_settings" {figure: [setting]}, "rows": [{"interval_start",
      "interval_end", "queue" | "agent_id" + "agent_name" | "team", figures…}], "total": {figures…}}
GET /api/v1/reports/agents?from=&to= -> {"settings", "query", "definitions", "definition_texts",
      "labels", "rows": [{"agent_id", "agent_name", "team", "calls", …, "pause_by_reason"}]}
…/kpi.csv and …/agents.csv (or ?format=csv): the rows as CSV, UTF-8 with BOM, headers translated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from agent_ui.api_v1.base import Route
from agent_ui.api_v1.schema import INT_MAX, query_int
from agent_ui.api_v1.services import CrmServices
from agent_ui.context import LANG_KEY, SERVICES
from agent_ui.i18n import DEFAULT_LANGUAGE, translate
from crm_core.domain_errors import Invalid
from crm_core.kpi.agents import AGENT_COLUMNS, AGENT_DEFINITIONS
from crm_core.kpi.export import to_csv
from crm_core.kpi.figures import DEFINITIONS, FIGURE_SETTINGS, FIGURES, UNITS
from crm_core.kpi.params import parse_by, parse_interval, parse_range
from crm_core.kpi.report import KpiQuery
from crm_core.kpi.service import Filters, KpiReports
from crm_core.kpi.settings import KpiSettings
from crm_core.users import UserView

SUPERVISING = ("supervisor", "admin")
MAX_NAME = 64
DIM_COLUMNS = {"queue": ("queue",), "agent": ("agent_id", "agent_name"), "team": ("team",)}


class _Safe(dict[str, str]):
    """Placeholders a translation names but the settings lack stay as written, never a 500."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _settings(request: web.Request) -> KpiSettings:
    return request.app[SERVICES].kpi


def _lang(request: web.Request) -> str:
    return request.get(LANG_KEY, DEFAULT_LANGUAGE)


def _placeholders(lang: str, s: KpiSettings) -> _Safe:
    """What definitions may name: {T}, {short}, {fcr_days}, {timezone}, and the chosen policies
    (texts of their own, which may name the numbers too)."""
    values = _Safe(
        T=f"{s.service_level_seconds:g}",
        short=f"{s.short_abandon_seconds:g}",
        fcr_days=str(s.fcr_days),
        timezone=s.timezone,
    )
    short = "kpi.policy.short_counted" if s.short_abandons_counted else "kpi.policy.short_excluded"
    values["short_policy"] = translate(lang, short).format_map(values)
    values["sl_policy"] = translate(lang, f"kpi.policy.sl.{s.service_level_abandons}").format_map(values)
    return values


def _texts(lang: str, keys: dict[str, str], s: KpiSettings) -> dict[str, str]:
    values = _placeholders(lang, s)
    return {name: translate(lang, key).format_map(values) for name, key in keys.items()}


def _name(request: web.Request, field: str) -> str | None:
    raw = request.query.get(field)
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_NAME:
        raise Invalid(field, f"at most {MAX_NAME} characters")
    return raw


def _query(request: web.Request, s: KpiSettings, with_grouping: bool) -> tuple[KpiQuery, Filters]:
    q = request.query
    known = (KNOWN | GROUPING.keys()) if with_grouping else KNOWN
    for name in q:
        if name not in known:
            raise Invalid(name, "unknown parameter")  # a typo must not pass for the default
    interval = parse_interval(q.get("interval")) if with_grouping else "none"
    by = parse_by(q.get("by")) if with_grouping else ()
    start, end = parse_range(q.get("from"), q.get("to"), interval, s.zone, datetime.now(UTC))
    agent_id = query_int(q, "agent_id", None, 1, INT_MAX)
    filters = Filters(queue=_name(request, "queue"), agent_id=agent_id, team=_name(request, "team"))
    return KpiQuery(start, end, interval, by), filters


def _wants_csv(request: web.Request, csv_path: bool) -> bool:
    fmt = request.query.get("format", "csv" if csv_path else "json")
    if fmt not in ("json", "csv"):
        raise Invalid("format", "must be json or csv")
    return fmt == "csv"


def _echo(query: KpiQuery, filters: Filters, s: KpiSettings) -> dict[str, Any]:
    zone = s.zone
    return {
        "from": query.start.astimezone(zone).isoformat(),
        "to": query.end.astimezone(zone).isoformat(),
        "interval": query.interval,
        "by": list(query.by),
        "queue": filters.queue,
        "agent_id": filters.agent_id,
        "team": filters.team,
    }


def _csv_response(text: str, name: str, query: KpiQuery, s: KpiSettings) -> web.Response:
    day = query.start.astimezone(s.zone).date().isoformat()
    response = web.Response(text=text, content_type="text/csv", charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{day}.csv"'
    return response


async def kpi_report(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return await _kpi(request, crm, user, csv_path=False)


async def kpi_report_csv(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return await _kpi(request, crm, user, csv_path=True)


async def _kpi(request: web.Request, crm: CrmServices, user: UserView, csv_path: bool) -> Any:
    s, lang = _settings(request), _lang(request)
    as_csv = _wants_csv(request, csv_path)
    query, filters = _query(request, s, with_grouping=True)
    report = await KpiReports(crm.customers.db, s).kpi(user, query, filters)
    labels = {name: translate(lang, f"kpi.label.{name}") for name in FIGURES}
    if as_csv:
        keys = [*_interval_columns(query), *(c for d in query.by for c in DIM_COLUMNS[d]), *FIGURES]
        columns = [(k, labels.get(k) or translate(lang, f"kpi.label.{k}")) for k in keys]
        return _csv_response(to_csv(columns, report.rows), "kpi", query, s)
    return {
        "settings": s.to_json(),
        "query": _echo(query, filters, s),
        "definitions": dict(DEFINITIONS),
        "definition_texts": _texts(lang, DEFINITIONS, s),
        "labels": labels,
        "units": dict(UNITS),
        "figure_settings": {name: list(keys) for name, keys in FIGURE_SETTINGS.items()},
        "rows": report.rows,
        "total": report.total,
    }


def _interval_columns(query: KpiQuery) -> list[str]:
    return [] if query.interval == "none" else ["interval_start", "interval_end"]


async def agent_report(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return await _agents(request, crm, user, csv_path=False)


async def agent_report_csv(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return await _agents(request, crm, user, csv_path=True)


async def _agents(request: web.Request, crm: CrmServices, user: UserView, csv_path: bool) -> Any:
    s, lang = _settings(request), _lang(request)
    as_csv = _wants_csv(request, csv_path)
    query, filters = _query(request, s, with_grouping=False)
    rows = await KpiReports(crm.customers.db, s).agents(user, query, filters)
    labels = {
        name: translate(lang, f"kpi.label.agent.{name}") for name in (*AGENT_COLUMNS, "pause_by_reason")
    }
    if as_csv:
        return _csv_response(_agent_csv(lang, rows, labels), "agents", query, s)
    return {
        "settings": s.to_json(),
        "query": _echo(query, filters, s),
        "definitions": dict(AGENT_DEFINITIONS),
        "definition_texts": _texts(lang, AGENT_DEFINITIONS, s),
        "labels": labels,
        "rows": rows,
    }


def _agent_csv(lang: str, rows: list[dict[str, Any]], labels: dict[str, str]) -> str:
    """One column per agent figure, then one per pause reason any agent used."""
    reasons = sorted({reason for row in rows for reason in row["pause_by_reason"]})
    head = [(k, translate(lang, f"kpi.label.{k}")) for k in ("agent_id", "agent_name", "team")]
    columns = head + [(k, labels[k]) for k in AGENT_COLUMNS]
    pause = translate(lang, "kpi.label.agent.pause_reason")
    none = translate(lang, "kpi.label.agent.no_reason")
    columns += [(f"pause:{r}", pause.format_map(_Safe(reason=r or none))) for r in reasons]
    flat = [row | {f"pause:{r}": v for r, v in row["pause_by_reason"].items()} for row in rows]
    return to_csv(columns, flat)


RANGE = {
    "from": "start: ISO 8601 date (local midnight) or date-time; default today",
    "to": "end, exclusive; a bare date means the end of that day; at most 93 days after from",
    "queue": "only this queue",
    "agent_id": "only this agent (404 outside your team)",
    "team": "only this team (404 if not yours)",
    "format": "json (default) or csv",
}
GROUPING = {
    "interval": "15m (7 days at most) | hour (31) | day | none (default)",
    "by": "queue | agent | team | none (default), or two joined by a comma",
}
KNOWN = RANGE.keys() | {"lang"}
K = "/api/v1/reports"
ROUTES = [
    Route("GET", K + "/kpi", kpi_report, "KPIs per interval and queue/agent/team", query=RANGE | GROUPING,
          roles=SUPERVISING),
    Route("GET", K + "/kpi.csv", kpi_report_csv, "KPIs as CSV (UTF-8 with BOM)", query=RANGE | GROUPING,
          roles=SUPERVISING),
    Route("GET", K + "/agents", agent_report, "Agent performance", query=RANGE, roles=SUPERVISING),
    Route("GET", K + "/agents.csv", agent_report_csv, "Agent performance as CSV", query=RANGE,
          roles=SUPERVISING),
]  # fmt: skip
