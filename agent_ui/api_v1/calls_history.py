"""/api/v1/calls: the call history as JSON (paged, newest first) and as CSV (the whole filtered list).

Everyone signed in may ask; what comes back is what they may see (crm_core.call_history:
supervisors their team's calls and those of customers they may see, administrators every
call, an agent their own calls). Dates without an offset are in the call center's time zone.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.api_v1.base import PAGING, Route, paging
from agent_ui.api_v1.services import CrmServices
from agent_ui.context import LANG_KEY, SERVICES
from agent_ui.history.export import csv_response
from agent_ui.i18n import DEFAULT_LANGUAGE
from crm_core.call_history import DIRECTIONS, OUTCOMES, CallFilter, CallHistory, parse_filter
from crm_core.domain_errors import Invalid
from crm_core.users import UserView


def zone(request: web.Request) -> str:
    """The call center's time zone: the one its reports are cut in ([kpi] timezone)."""
    return request.app[SERVICES].kpi.timezone


def read_filter(request: web.Request, crm: CrmServices) -> CallFilter:
    return parse_filter(request.query, zone(request), crm.customers.region)


async def list_calls(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    """A page of calls and the total; `format=csv` answers the export instead."""
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Invalid("format", "must be json or csv")
    if fmt == "csv":
        return await export_calls(request, crm, user, None)
    f = read_filter(request, crm)
    limit, offset = paging(request)
    history = CallHistory(crm.customers.db)
    await history.check(user, f)
    rows, total = await history.search(user, f, limit, offset)
    region = crm.customers.region
    return {
        "items": [row.to_json(region) for row in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
        "timezone": zone(request),
        "filter": f.as_params(),
    }


async def export_calls(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    """Every call of the filter as CSV (UTF-8 with BOM), newest first; 400 when too many match."""
    f = read_filter(request, crm)
    history = CallHistory(crm.customers.db)
    await history.check(user, f)
    batches = await history.export(user, f)
    lang = request.get(LANG_KEY, DEFAULT_LANGUAGE)
    return await csv_response(request, batches, lang, zone(request), crm.customers.region)


FILTERS = {
    "from": "start, ISO 8601 date or date-time (no offset: the call center's time zone); inclusive",
    "to": "end, exclusive; a bare date means the end of that day (from=2026-11-30&to=2026-11-30: one day)",
    "agent_id": "the agent who took the call (answered or placed it); 404 outside your team",
    "queue": "queue name, exact",
    "number": "the other party's number in any written form (matched normalised, exactly)",
    "customer_id": "customer id; 404 for one you may not see",
    "customer": "part of the customer's name",
    "outcome": "|".join(OUTCOMES),
    "direction": "|".join(DIRECTIONS),
    "min_duration": "talk seconds, at least",
    "max_duration": "talk seconds, at most",
}
ROUTES = [
    Route(
        "GET",
        "/api/v1/calls",
        list_calls,
        "Call history: the calls the signed-in user may see, newest first (format=csv: the export)",
        query=FILTERS | PAGING | {"format": "json (default) or csv"},
    ),
    Route("GET", "/api/v1/calls.csv", export_calls, "Call history as CSV (UTF-8 with BOM)", query=FILTERS),
]
