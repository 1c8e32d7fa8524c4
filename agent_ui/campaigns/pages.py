"""The campaign pages (/campaigns, /campaigns/{id}), for supervisors and administrators.

Both are frames: the forms are rendered here with the choices the viewer may make (a supervisor
picks only their own team), and the campaigns, lists, progress and do-not-call numbers come from
/api/v1, which checks every object again. A campaign of another team is simply not found there.
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from agent_ui.access import SUPERVISING, require
from agent_ui.api_v1.services import CRM
from agent_ui.context import current_user
from crm_core.admin.teams import TeamService
from crm_core.users import UserView

PURPOSES = ("follow_up", "sales", "survey", "reminder")
MODES = ("preview", "progressive")
OUTCOMES = ("no_answer", "busy", "voicemail", "wrong_number")  # the ones a retry policy names
RETRY_DEFAULTS = {"no_answer": 60, "busy": 15, "voicemail": 240, "wrong_number": ""}  # "": never again
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)  # ISO: Monday is 1
ENTRY_STATUSES = ("pending", "reserved", "dialing", "done", "failed", "skipped", "dnc")
MAX_TEAMS = 500
REFRESH_SECONDS = 5


async def _teams(request: web.Request, user: UserView) -> list[dict[str, Any]]:
    """The teams this person may give a campaign to: all for an administrator, their own otherwise."""
    views, _ = await TeamService(request.app[CRM].customers.db).list(limit=MAX_TEAMS)
    if user.role != "admin":
        views = [v for v in views if v.name == user.team]
    return [{"id": v.id, "name": v.name, "label": v.label or v.name} for v in views]


async def _context(request: web.Request, **extra: Any) -> dict[str, Any]:
    user = current_user(request)
    assert user is not None  # require() lets no anonymous request through
    teams = await _teams(request, user)
    names = {str(t["id"]): t["label"] for t in teams}
    config: dict[str, Any] = {"role": user.role, "refresh_seconds": REFRESH_SECONDS, "teams": names} | extra
    return {
        "teams": teams,
        "purposes": PURPOSES,
        "modes": MODES,
        "outcomes": OUTCOMES,
        "retry_defaults": RETRY_DEFAULTS,
        "weekdays": WEEKDAYS,
        "entry_statuses": ENTRY_STATUSES,
        "config": config,
    }


@require(*SUPERVISING)
async def list_page(request: web.Request) -> web.StreamResponse:
    context = await _context(request)
    return aiohttp_jinja2.render_template("campaigns/list.html", request, context)


@require(*SUPERVISING)
async def detail_page(request: web.Request) -> web.StreamResponse:
    try:
        campaign_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    context = await _context(request, campaign_id=campaign_id)
    return aiohttp_jinja2.render_template("campaigns/detail.html", request, context)


def routes(app: web.Application) -> None:
    app.router.add_get("/campaigns", list_page)
    app.router.add_get(r"/campaigns/{id:\d+}", detail_page)
