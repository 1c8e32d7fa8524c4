"""The four supervisor actions: POST /api/supervisor/{spy,pause,unpause,logout}.

The answer is 202: the PBX accepted the action, and what it does is seen the usual way
(the seat's state changes on the wallboard from the PBX's own events; the supervisor's
phone rings for listen / whisper / barge). Checks, in this order: role (403), payload
(400 naming the field), the agent (404 when not the caller's to supervise), what the
action needs (409: no phone, not logged in, no call to listen to), the PBX (503 with
Retry-After while its link is down). Every action that reached the PBX is audited, with
its result, whether the PBX took it or not.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from agent_ui.access import SUPERVISING, require
from agent_ui.api_v1.schema import F
from agent_ui.api_v1.services import CRM
from agent_ui.console.catalogs import codes_of
from agent_ui.console.payload import BadPayload, bad_field, read_body
from agent_ui.console.seat import REASON
from agent_ui.context import current_user
from agent_ui.dialing import telephony_refusal
from agent_ui.errors import json_error
from agent_ui.supervisor.target import Refused, Target, find_target, link_for
from crm_core.ports import Telephony, TelephonyError
from crm_core.users import UserView

log = logging.getLogger(__name__)
MODES = ("listen", "whisper", "barge")
AGENT = {"agent_id": F("integer", required=True, minimum=1)}
SPY = AGENT | {"mode": F("string", required=True, enum=MODES)}
PAUSE = AGENT | {"reason": F("string", required=True, max_length=64)}
PBX_KEYS = "supervisor.pbx"  # supervisor.pbx.down / .refused / .timeout / .invalid / .not_found
Send = Callable[[Telephony], Awaitable[None]]


@require(*SUPERVISING)
async def spy(request: web.Request) -> web.Response:
    """{"agent_id", "mode": listen|whisper|barge}: the supervisor's own phone rings, then joins the call."""
    user = _me(request)
    try:
        body = await read_body(request, SPY)
        target = await find_target(request, user, body["agent_id"])
        if not user.interface:
            raise Refused(json_error(request, 409, "supervisor.no_phone"))
        if not target.on_call:
            raise Refused(json_error(request, 409, "supervisor.spy.no_call"))
        mode, phone, agent = body["mode"], user.interface, target.interface
        return await _act(request, user, target, "spy", {"mode": mode}, lambda t: t.spy(phone, agent, mode))
    except (BadPayload, Refused) as refused:
        return refused.response


@require(*SUPERVISING)
async def pause(request: web.Request) -> web.Response:
    """{"agent_id", "reason"}: pause the agent in every queue, with a pause reason code."""
    user = _me(request)
    try:
        body = await read_body(request, PAUSE)
        reason = await _reason(request, body["reason"])
        target = await _logged_in(request, user, body["agent_id"])
        agent = target.interface
        send: Send = lambda t: t.set_paused(agent, True, reason)  # noqa: E731
        return await _act(request, user, target, "force_pause", {"reason": reason}, send)
    except (BadPayload, Refused) as refused:
        return refused.response


@require(*SUPERVISING)
async def unpause(request: web.Request) -> web.Response:
    """{"agent_id"}: the agent is ready again in every queue."""
    user = _me(request)
    try:
        body = await read_body(request, AGENT)
        target = await _logged_in(request, user, body["agent_id"])
        agent = target.interface
        return await _act(request, user, target, "force_unpause", {}, lambda t: t.set_paused(agent, False))
    except (BadPayload, Refused) as refused:
        return refused.response


@require(*SUPERVISING)
async def logout(request: web.Request) -> web.Response:
    """{"agent_id"}: remove the agent from every queue their seat is logged in to.

    One QueueRemove per queue. A queue the agent already left counts as done; a member the
    PBX will not remove (a static member of queues.conf) is named in a 409.
    """
    user = _me(request)
    try:
        body = await read_body(request, AGENT)
        target = await _logged_in(request, user, body["agent_id"])
        if not target.queues:
            raise Refused(json_error(request, 409, "supervisor.not_logged_in"))
        link = link_for(request, target)
        removed, kept = await _remove(request, user, target, link)
    except (BadPayload, Refused) as refused:
        return refused.response
    if kept:
        return json_error(request, 409, "supervisor.logout.refused", removed=removed, queues=kept)
    return web.json_response({"agent_id": target.agent.id, "removed": removed}, status=202)


async def _remove(
    request: web.Request, user: UserView, target: Target, link: Telephony
) -> tuple[list[str], list[str]]:
    removed: list[str] = []
    refused: list[str] = []
    for queue in sorted(target.queues):
        try:
            await link.logout(target.interface, queue)
            removed.append(queue)
        except TelephonyError as exc:
            if exc.code == "refused" and "Not there" in str(exc):
                removed.append(queue)  # gone already: what was asked is so
            elif exc.code == "refused":
                refused.append(queue)
            else:
                await _audit(request, user, target, "force_logout", {"queues": removed}, exc.code)
                raise Refused(telephony_refusal(request, exc, PBX_KEYS, field="agent_id")) from exc
    result = "refused" if refused else "sent"
    await _audit(request, user, target, "force_logout", {"queues": removed, "refused": refused}, result)
    return removed, refused


async def _act(
    request: web.Request, user: UserView, target: Target, action: str, detail: dict[str, Any], send: Send
) -> web.Response:
    """Send one action to the agent's PBX; audit it with what the PBX said."""
    link = link_for(request, target)
    try:
        await send(link)
    except TelephonyError as exc:
        await _audit(request, user, target, action, detail, exc.code)
        return telephony_refusal(request, exc, PBX_KEYS, field="agent_id")
    await _audit(request, user, target, action, detail, "sent")
    return web.json_response({"agent_id": target.agent.id, "action": action, **detail}, status=202)


async def _audit(
    request: web.Request, user: UserView, target: Target, action: str, detail: dict[str, Any], result: str
) -> None:
    """One audit row on the agent's seat: who acted, on which interface and PBX, and how it went."""
    seat = target.seat
    row = {"interface": target.interface, "pbx": seat.pbx if seat else "", **detail, "result": result}
    log.info(
        "supervisor action=%s by=%s agent=%s interface=%s result=%s",
        action, user.id, target.agent.id, target.interface, result,
    )  # fmt: skip
    crm = request.app.get(CRM)
    if crm is not None:
        await crm.audit.note(user, "seat", target.agent.id, action, row)


async def _reason(request: web.Request, reason: str) -> str:
    """A pause reason code the administration keeps (any well-formed code when it keeps none)."""
    if not REASON.fullmatch(reason):
        raise Refused(bad_field(request, "reason", "a pause reason code"))
    known = await codes_of(request, "pause_reasons")
    if known is not None and reason not in known:
        key = "console.seat.bad_reason"
        raise Refused(bad_field(request, "reason", "not an active pause reason", key=key))
    return reason


async def _logged_in(request: web.Request, user: UserView, agent_id: int) -> Target:
    target = await find_target(request, user, agent_id)
    if not target.logged_in:
        raise Refused(json_error(request, 409, "supervisor.not_logged_in"))
    return target


def _me(request: web.Request) -> UserView:
    user = current_user(request)
    assert user is not None  # require() lets no anonymous request through
    return user
