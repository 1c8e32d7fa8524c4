"""/admin/teams and /admin/skills: two lists of named things with a label, one set of pages.

Each has a list with a create form, and an edit page (label; delete). A team with members
cannot be deleted (the page says so); deleting a skill takes it from every user.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.access import require
from agent_ui.admin.forms import actor, done, form_data, pager, path_int, refused_form, render, window
from agent_ui.admin.state import admin_services
from crm_core.domain_errors import CrmError, NotFound

KINDS = ("teams", "skills")
BASE = "/admin/{kind:teams|skills}"


def _kind(request: web.Request) -> tuple[str, Any]:
    """("teams" | "skills", the service that keeps that list)."""
    kind = request.match_info["kind"]
    return kind, getattr(admin_services(request), kind)


async def _list_ctx(request: web.Request) -> dict[str, Any]:
    kind, service = _kind(request)
    limit, offset = window(request)
    items, total = await service.list(limit, offset)
    return {"kind": kind, "items": items, "pager": pager(request, total)}


async def _edit_ctx(request: web.Request, form: Any = None) -> dict[str, Any]:
    kind, service = _kind(request)
    try:
        item = await service.get(path_int(request))
    except NotFound:
        raise web.HTTPNotFound() from None
    return {"kind": kind, "item": item, "form": form or item.to_json()}


@require("admin")
async def listing(request: web.Request) -> web.Response:
    return render(request, "admin/named.html", await _list_ctx(request))


@require("admin")
async def create(request: web.Request) -> web.Response:
    kind, service = _kind(request)
    form = await form_data(request)
    try:
        await service.create(actor(request), form.get("name", ""), form.get("label", ""))
    except CrmError as exc:
        ctx = await _list_ctx(request) | {"form": form}
        return refused_form(request, "admin/named.html", ctx, exc)
    raise done(f"/admin/{kind}", "created")


@require("admin")
async def edit(request: web.Request) -> web.Response:
    return render(request, "admin/named_edit.html", await _edit_ctx(request))


@require("admin")
async def save(request: web.Request) -> web.Response:
    kind, service = _kind(request)
    form = await form_data(request)
    try:
        await service.update(actor(request), path_int(request), form.get("label", ""))
    except CrmError as exc:
        return refused_form(request, "admin/named_edit.html", await _edit_ctx(request, form), exc)
    raise done(f"/admin/{kind}", "saved")


@require("admin")
async def delete(request: web.Request) -> web.Response:
    kind, service = _kind(request)
    try:
        await service.delete(actor(request), path_int(request))
    except CrmError as exc:
        return refused_form(request, "admin/named_edit.html", await _edit_ctx(request), exc)
    raise done(f"/admin/{kind}", "deleted")


def routes(app: web.Application) -> None:
    app.router.add_get(BASE, listing)
    app.router.add_post(BASE, create)
    app.router.add_get(BASE + "/{id}", edit)
    app.router.add_post(BASE + "/{id}", save)
    app.router.add_post(BASE + "/{id}/delete", delete)
