"""/admin/recycle-bin (restore or purge what agents deleted) and /admin/audit (who changed what)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.access import require
from agent_ui.admin.forms import (
    PAGE_SIZE,
    Pager,
    actor,
    day,
    done,
    page_number,
    pager,
    refused_form,
    render,
    whole,
    window,
)
from agent_ui.admin.state import admin_services
from agent_ui.context import LANG_KEY
from agent_ui.i18n import translate
from crm_core.admin.checks import FieldError
from crm_core.domain_errors import CrmError, NotFound
from crm_core.recycle.service import ENTITIES

AUDIT_FILTERS = ("entity", "entity_id", "user", "since", "until")


@require("admin")
async def recycle_bin(request: web.Request) -> web.Response:
    entity = request.query.get("entity") or None
    if entity not in (None, *ENTITIES):
        entity = None
    limit, offset = window(request)
    items = await admin_services(request).recycle.list(
        entity, limit + 1, offset
    )  # one more: is there a next?
    query = {"entity": entity} if entity else {}
    paging = Pager(page_number(request), PAGE_SIZE, offset + len(items), request.path, query, exact=False)
    lang = request.get(LANG_KEY, "zh-CN")
    options = [(e, translate(lang, f"admin.entity.{e}")) for e in ENTITIES]
    ctx = {"items": items[:limit], "pager": paging, "entity": entity or "", "entity_options": options}
    return render(request, "admin/recycle_bin.html", ctx)


def _bin_action(verb: str, notice: str) -> Any:
    @require("admin")
    async def act(request: web.Request) -> web.Response:
        entity, raw = request.match_info["entity"], request.match_info["id"]
        if entity not in ENTITIES or not raw.isdigit() or len(raw) > 9:
            raise web.HTTPNotFound()
        try:
            await getattr(admin_services(request).recycle, verb)(entity, int(raw), actor(request))
        except NotFound:
            raise web.HTTPNotFound() from None
        except CrmError:  # already restored or purged by someone else: the list shows how it is now
            raise done("/admin/recycle-bin", "saved") from None
        raise done("/admin/recycle-bin", notice)

    act.__name__ = f"recycle_{verb}"
    return act


async def _audit_filters(request: web.Request) -> dict[str, Any]:
    q = request.query
    found: dict[str, Any] = {"entity": q.get("entity") or None}
    found["entity_id"] = whole("entity_id", q["entity_id"]) if q.get("entity_id") else None
    found["since"], found["until"] = day("since", q.get("since")), day("until", q.get("until"))
    found["user_id"] = None
    if q.get("user"):
        user = await admin_services(request).users.users.by_login(q["user"].strip())
        if user is None:
            raise FieldError("user", "no_user", "no such user")
        found["user_id"] = user.id
    return found


@require("admin")
async def audit(request: web.Request) -> web.Response:
    admin = admin_services(request)
    options = [(e, e) for e in await admin.audit.entities()]
    ctx: dict[str, Any] = {"filters": dict(request.query), "entity_options": options}
    limit, offset = window(request)
    try:
        items, total = await admin.audit.search(**await _audit_filters(request), limit=limit, offset=offset)
    except CrmError as exc:
        return refused_form(request, "admin/audit.html", ctx | {"items": [], "pager": None}, exc)
    return render(
        request, "admin/audit.html", ctx | {"items": items, "pager": pager(request, total, AUDIT_FILTERS)}
    )


@require("admin")
async def index(request: web.Request) -> web.Response:
    admin = admin_services(request)
    _users, users = await admin.users.list(limit=1)
    _teams, teams = await admin.teams.list(limit=1)
    counts = {"users": users, "teams": teams, "pending": await admin.memberships.pending()}
    return render(request, "admin/index.html", {"counts": counts})


def routes(app: web.Application) -> None:
    app.router.add_get("/admin", index)
    app.router.add_get("/admin/recycle-bin", recycle_bin)
    app.router.add_post("/admin/recycle-bin/{entity}/{id}/restore", _bin_action("restore", "restored"))
    app.router.add_post("/admin/recycle-bin/{entity}/{id}/purge", _bin_action("purge", "purged"))
    app.router.add_get("/admin/audit", audit)
