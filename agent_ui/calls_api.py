"""Call actions of the console: click-to-dial, the wrap-up disposition and finding a pop's call record."""

from __future__ import annotations

from aiohttp import web

from agent_ui.api_v1.services import CRM
from agent_ui.context import SERVICES, current_user
from agent_ui.dialing import DialRefused, click_to_dial
from agent_ui.errors import json_error, json_object
from crm_core.calls import DispositionError
from crm_core.domain_errors import NotFound


async def dial(request: web.Request) -> web.Response:
    """POST /api/calls/dial {"number": "..."}: ring my phone, then the number."""
    body = await json_object(request)
    if isinstance(body, web.Response):
        return body
    if not isinstance(body.get("number"), str):
        return json_error(request, 400, "dial.bad_number", field="number")
    user = current_user(request)
    assert user is not None
    try:
        call_id = await click_to_dial(request, user, body["number"])
    except DialRefused as refused:
        return refused.response
    return web.json_response({"call_id": call_id}, status=202)


async def disposition(request: web.Request) -> web.Response:
    """POST /api/calls/{id}/disposition {"disposition": "..."}: the wrap-up choice ends wrap-up."""
    services = request.app[SERVICES]
    user = current_user(request)
    assert user is not None and services.calls is not None
    body = await json_object(request)
    if isinstance(body, web.Response):
        return body
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 10:
        return json_error(request, 404, "error.not_found")
    record_id = int(raw)
    if not await may_work(request, record_id, "disposition"):
        return json_error(request, 404, "error.not_found")  # not yours: do not even confirm it exists
    if not isinstance(body.get("disposition"), str):
        return json_error(request, 400, "error.bad_request", field="disposition")
    try:
        record = await services.calls.set_disposition(record_id, user.id, body["disposition"])
    except DispositionError as exc:
        status = 404 if exc.field == "call" else 400
        return json_error(request, status, "error.bad_request", field=exc.field, detail=str(exc))
    link = services.telephony.get(record.pbx)
    if link is not None and record.agent_interface and user.id == record.agent_id:
        link.end_wrap_up(record.agent_interface)
    return web.json_response({"id": record.id, "disposition": record.disposition})


async def lookup(request: web.Request) -> web.Response:
    """GET /api/calls/lookup?pop_id=<pbx>:<call id>: the call record behind a pop-up.

    A pop names its call as the PBX does; the disposition is set on the record, which the
    call-records subscriber writes beside the pop (a moment later: 404 until then).
    """
    services = request.app[SERVICES]
    user = current_user(request)
    assert user is not None
    pbx, sep, call_id = request.query.get("pop_id", "").partition(":")
    if not sep or not pbx or not call_id or len(pbx) > 64 or len(call_id) > 128:
        return json_error(request, 400, "error.bad_request", field="pop_id")
    record = await services.calls.get(pbx, call_id) if services.calls is not None else None
    if record is None:
        return json_error(request, 404, "error.not_found")
    if not await may_work(request, record.id, "lookup"):
        return json_error(request, 404, "error.not_found")  # not yours: do not even confirm it exists
    body = {"id": record.id, "pbx": record.pbx, "call_id": record.call_id, "disposition": record.disposition}
    return web.json_response(body)


async def may_work(request: web.Request, record_id: int, wanted: str) -> bool:
    """The call was offered to or taken by this user (a supervisor: by their team; an administrator:
    any); a refusal of an existing call is audited (crm_core.access)."""
    user = current_user(request)
    assert user is not None
    try:
        await request.app[CRM].access.check(user, "call", record_id, wanted)
    except NotFound:
        return False
    return True
