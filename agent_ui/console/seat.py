"""The agent's own seat: pause with a reason, and back to ready.

The seat's new state is not answered here: the PBX confirms it with QueueMemberPause,
the seat tracker turns that into a seat message, and every console of the agent shows
it. So the status bar never claims a state the PBX has not taken.
"""

from __future__ import annotations

import re

from aiohttp import web

from agent_ui.api_v1.schema import F
from agent_ui.console.catalogs import codes_of
from agent_ui.console.payload import BadPayload, bad_field, read_body
from agent_ui.context import current_user
from agent_ui.dialing import pick_pbx, telephony_refusal, unavailable
from agent_ui.errors import json_error
from crm_core.ports import TelephonyError
from crm_core.users import UserView

REASON = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # a code: the label is the console's business
PAUSE = {"reason": F("string", required=True, max_length=64)}


async def pause(request: web.Request) -> web.Response:
    """POST /api/seat/pause {"reason": code}: pause in every queue of the agent's seat."""
    user = _me(request)
    try:
        body = await read_body(request, PAUSE)
    except BadPayload as bad:
        return bad.response
    reason = body["reason"]
    if not REASON.fullmatch(reason):
        return bad_field(request, "reason", "a pause reason code")
    known = await codes_of(request, "pause_reasons")
    if known is not None and reason not in known:
        return bad_field(request, "reason", "not an active pause reason", key="console.seat.bad_reason")
    return await _set_paused(request, user, True, reason)


async def ready(request: web.Request) -> web.Response:
    """POST /api/seat/ready: unpause the agent's seat (body ignored)."""
    return await _set_paused(request, _me(request), False, "")


async def _set_paused(request: web.Request, user: UserView, paused: bool, reason: str) -> web.Response:
    if not user.interface:
        return json_error(request, 409, "dial.no_phone")
    telephony = pick_pbx(request)
    if telephony is None:
        return unavailable(request, "console.pbx.down")
    try:
        await telephony.set_paused(user.interface, paused, reason)
    except TelephonyError as exc:
        return telephony_refusal(request, exc, "console.pbx", field="reason")
    return web.json_response({"paused": paused, "reason": reason}, status=202)


def _me(request: web.Request) -> UserView:
    user = current_user(request)
    assert user is not None  # the session middleware lets no anonymous request through
    return user
