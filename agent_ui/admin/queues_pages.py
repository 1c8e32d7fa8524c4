"""/admin/queues: who answers which queue, at what penalty; changes go to the PBX at once.

When no PBX link is up the change is kept and the page says it will reach the PBX with
the next change made while one is ("Send pending changes" is such a change).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.access import require
from agent_ui.admin.forms import actor, done, form_data, pager, path_int, refused_form, render, whole, window
from agent_ui.admin.state import admin_services
from crm_core.admin.directory import directory
from crm_core.domain_errors import CrmError, NotFound

OUTCOME_NOTICE = {"applied": "pbx_applied", "pending": "pbx_pending", "refused": "pbx_refused"}


def _agent_text(agent: dict[str, Any]) -> str:
    extension = agent["extension"]
    return f"{agent['display_name']} ({extension})" if extension else agent["display_name"]


async def _list_ctx(request: web.Request) -> dict[str, Any]:
    admin = admin_services(request)
    limit, offset = window(request)
    queue = request.query.get("queue") or None
    items, total = await admin.memberships.list(queue=queue, limit=limit, offset=offset)
    found = await directory(admin.users.db, admin.memberships)
    return {
        "items": items,
        "pager": pager(request, total, ("queue",)),
        "queue": queue or "",
        "queue_options": [(q, q) for q in found["queues"]],
        "agent_options": [(a["id"], _agent_text(a)) for a in found["agents"]],
        "pbxes": [(p, p) for p in sorted(admin.memberships.telephony)],
        "pending": await admin.memberships.pending(),
    }


async def _edit_ctx(request: web.Request, form: Any = None) -> dict[str, Any]:
    try:
        item = await admin_services(request).memberships.get(path_int(request))
    except NotFound:
        raise web.HTTPNotFound() from None
    return {"item": item, "form": form or item.to_json()}


@require("admin")
async def listing(request: web.Request) -> web.Response:
    return render(request, "admin/queues.html", await _list_ctx(request))


@require("admin")
async def create(request: web.Request) -> web.Response:
    form = await form_data(request)
    try:
        user_id = whole("user_id", form.get("user_id"))
        penalty = whole("penalty", form.get("penalty"), default=0)
        change = await admin_services(request).memberships.add(
            actor(request), user_id, form.get("queue", ""), penalty, form.get("pbx", "")
        )
    except CrmError as exc:
        return refused_form(request, "admin/queues.html", await _list_ctx(request) | {"form": form}, exc)
    raise done("/admin/queues", OUTCOME_NOTICE[change.outcome])


@require("admin")
async def edit(request: web.Request) -> web.Response:
    return render(request, "admin/queue_edit.html", await _edit_ctx(request))


@require("admin")
async def save(request: web.Request) -> web.Response:
    form = await form_data(request)
    try:
        penalty = whole("penalty", form.get("penalty"))
        change = await admin_services(request).memberships.update(actor(request), path_int(request), penalty)
    except NotFound:
        raise web.HTTPNotFound() from None
    except CrmError as exc:
        return refused_form(request, "admin/queue_edit.html", await _edit_ctx(request, form), exc)
    raise done("/admin/queues", OUTCOME_NOTICE[change.outcome])


@require("admin")
async def remove(request: web.Request) -> web.Response:
    try:
        change = await admin_services(request).memberships.remove(actor(request), path_int(request))
    except NotFound:
        raise web.HTTPNotFound() from None
    raise done("/admin/queues", OUTCOME_NOTICE[change.outcome])


@require("admin")
async def sync(request: web.Request) -> web.Response:
    memberships = admin_services(request).memberships
    refusals = await memberships.sync()
    pending = await memberships.pending()
    raise done("/admin/queues", "pbx_refused" if refusals else "pbx_pending" if pending else "pbx_applied")


def routes(app: web.Application) -> None:
    app.router.add_get("/admin/queues", listing)
    app.router.add_post("/admin/queues", create)
    app.router.add_post("/admin/queues/sync", sync)
    app.router.add_get("/admin/queues/{id}", edit)
    app.router.add_post("/admin/queues/{id}", save)
    app.router.add_post("/admin/queues/{id}/remove", remove)
