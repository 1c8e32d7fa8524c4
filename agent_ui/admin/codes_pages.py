"""/admin/dispositions and /admin/pause-reasons: the code lists agents pick from.

Codes are never deleted (call records and seat history keep them); an administrator
deactivates one instead, and it leaves the console's choices at once.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.access import require
from agent_ui.admin.forms import (
    PAGE_SIZE,
    actor,
    done,
    form_data,
    pager,
    path_int,
    refused_form,
    render,
    whole,
    window,
)
from agent_ui.admin.state import admin_services
from crm_core.admin.codes import CodeList
from crm_core.domain_errors import CrmError

BASE = "/admin/{kind:dispositions|pause-reasons}"
SERVICE = {"dispositions": "dispositions", "pause-reasons": "pause_reasons"}


def _kind(request: web.Request) -> tuple[str, CodeList]:
    kind = request.match_info["kind"]
    return kind, getattr(admin_services(request), SERVICE[kind])


def _labels(form: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {"label_zh": form.get("label_zh", ""), "label_en": form.get("label_en", "")}
    if form.get("sort_order"):
        fields["sort_order"] = whole("sort_order", form["sort_order"])
    return fields


async def _list_ctx(request: web.Request) -> dict[str, Any]:
    kind, codes = _kind(request)
    everything = await codes.list()
    _limit, offset = window(request)
    page = everything[offset : offset + PAGE_SIZE]
    return {"kind": kind, "items": page, "pager": pager(request, len(everything))}


async def _edit_ctx(request: web.Request, form: Any = None) -> dict[str, Any]:
    kind, codes = _kind(request)
    row_id = path_int(request)
    item = next((c for c in await codes.list() if c.id == row_id), None)
    if item is None:
        raise web.HTTPNotFound()
    return {"kind": kind, "item": item, "form": form or item.to_json()}


@require("admin")
async def listing(request: web.Request) -> web.Response:
    return render(request, "admin/codes.html", await _list_ctx(request))


@require("admin")
async def create(request: web.Request) -> web.Response:
    kind, codes = _kind(request)
    form = await form_data(request)
    try:
        await codes.create(actor(request), form.get("code", ""), **_labels(form))
    except CrmError as exc:
        return refused_form(request, "admin/codes.html", await _list_ctx(request) | {"form": form}, exc)
    raise done(f"/admin/{kind}", "created")


@require("admin")
async def edit(request: web.Request) -> web.Response:
    return render(request, "admin/code_edit.html", await _edit_ctx(request))


@require("admin")
async def save(request: web.Request) -> web.Response:
    kind, codes = _kind(request)
    form = await form_data(request)
    try:
        fields = _labels(form) | {"active": "active" in form}
        await codes.update(actor(request), path_int(request), fields)
    except CrmError as exc:
        ctx = await _edit_ctx(request, form | {"active": "active" in form})
        return refused_form(request, "admin/code_edit.html", ctx, exc)
    raise done(f"/admin/{kind}", "saved")


def routes(app: web.Application) -> None:
    app.router.add_get(BASE, listing)
    app.router.add_post(BASE, create)
    app.router.add_get(BASE + "/{id}", edit)
    app.router.add_post(BASE + "/{id}", save)
