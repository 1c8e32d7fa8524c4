"""The call-history page (/calls) and the reports page (/reports), for supervisors and administrators.

Both pages are frames: the filter form is rendered here with the choices the viewer may
use (their team's agents, known queues), and the results come from the JSON API the
scripts call (/api/v1/calls, /api/v1/reports/...), so the page, the API and the CSV export
read one filter the same way and obey one visibility rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from agent_ui.access import SUPERVISING, require
from agent_ui.api_v1.services import CRM
from agent_ui.context import SERVICES, current_user
from crm_core.call_history import DIRECTIONS, OUTCOMES, CallHistory

PAGE_SIZE = 50
INTERVALS = ("15m", "hour", "day", "none")
GROUPINGS = ("none", "queue", "agent", "team")


def _zone(request: web.Request) -> str:
    return request.app[SERVICES].kpi.timezone  # the zone reports are cut in


@require(*SUPERVISING)
async def calls_page(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    assert user is not None  # require() lets no anonymous request through
    crm = request.app[CRM]
    choices = await CallHistory(crm.customers.db).choices(user)
    config: dict[str, Any] = {"timezone": _zone(request), "page_size": PAGE_SIZE}
    context = {
        "agents": choices.agents,
        "queues": choices.queues,
        "outcomes": OUTCOMES,
        "directions": DIRECTIONS,
        "config": config,
    }
    return aiohttp_jinja2.render_template("history/calls.html", request, context)


@require(*SUPERVISING)
async def reports_page(request: web.Request) -> web.StreamResponse:
    zone = _zone(request)
    today = datetime.now(ZoneInfo(zone)).date()
    config = {"timezone": zone, "today": today.isoformat()}
    context = {"config": config, "intervals": INTERVALS, "groupings": GROUPINGS, "today": today.isoformat()}
    return aiohttp_jinja2.render_template("reports.html", request, context)


def routes(app: web.Application) -> None:
    app.router.add_get("/calls", calls_page)
    app.router.add_get("/reports", reports_page)
