"""Call actions of the console: click-to-dial and the wrap-up disposition."""

from __future__ import annotations

from aiohttp import web

from agent_ui.context import SERVICES, current_user
from agent_ui.dialing import DialRefused, click_to_dial
from agent_ui.errors import json_error, json_object
from crm_core.calls import DispositionError


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
    agents = {a.agent_id for a in await services.calls.agents_of(record_id)}
    if user.id not in agents and user.role not in ("supervisor", "admin"):
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
