"""Blind and attended transfer of a live call to another agent or to a queue.

Only the agent talking on the call may transfer it (a supervisor: a call one of their
team is talking on; an administrator: any live call); anyone else is told the call does
not exist, as for dispositions. Who is talking on which call is what the console hub saw: the pop
each agent got and its latest state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from agent_ui.api_v1.schema import F
from agent_ui.console.payload import BadPayload, bad_field, read_body
from agent_ui.context import SERVICES, current_user
from agent_ui.dialing import telephony_refusal
from agent_ui.errors import json_error
from crm_core.ports import TelephonyError
from crm_core.users import UserView

QUEUE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
SPEC = {
    "pop_id": F("string", max_length=200),
    "call_id": F("string", max_length=128),
    "pbx": F("string", max_length=64),
    "mode": F("string", required=True, enum=("blind", "attended")),
    "agent_id": F("integer", minimum=1),
    "queue": F("string", max_length=64),
}


class Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass(frozen=True)
class LiveCall:
    pbx: str
    call_id: str
    talking: list[int]  # users whose pop of this call is answered


async def transfer(request: web.Request) -> web.Response:
    """POST /api/calls/transfer {"pop_id"|"call_id", "mode", "agent_id"|"queue"}."""
    user = current_user(request)
    assert user is not None
    try:
        body = await read_body(request, SPEC)
        call = await _live_call(request, body, user)
        target = await _target(request, body, user)
        await _send(request, call, body["mode"], target, user)
    except (BadPayload, Refused) as refused:
        return refused.response
    pop_id = f"{call.pbx}:{call.call_id}"
    return web.json_response({"pop_id": pop_id, "mode": body["mode"], "target": target}, status=202)


async def _live_call(request: web.Request, body: dict[str, Any], user: UserView) -> LiveCall:
    """The open call the body names, if this user may transfer it; else 400 or 404."""
    hub = request.app[SERVICES].hub
    if ("pop_id" in body) == ("call_id" in body):
        raise Refused(bad_field(request, "pop_id", "give pop_id or call_id"))
    if "pop_id" in body:
        key = body["pop_id"]
    else:
        keys = [k for k in hub.calls if k.split(":", 1)[1] == body["call_id"]]
        keys = [k for k in keys if "pbx" not in body or k.split(":", 1)[0] == body["pbx"]]
        key = keys[0] if len(keys) == 1 else ""
    open_call = hub.calls.get(key)
    if open_call is None:
        raise Refused(json_error(request, 404, "error.not_found"))
    talking = [uid for uid, pop in open_call.pops.items() if pop.get("state") == "answered"]
    if not await _may_transfer(request, user, talking):
        raise Refused(json_error(request, 404, "error.not_found"))  # not yours: not even confirmed
    pbx, call_id = key.split(":", 1)
    return LiveCall(pbx, call_id, talking)


async def _may_transfer(request: web.Request, user: UserView, talking: list[int]) -> bool:
    if user.role == "admin" or user.id in talking:
        return True
    if user.role != "supervisor" or not user.team:
        return False
    users = request.app[SERVICES].users
    teams = {agent.team for agent in [await users.by_id(uid) for uid in talking] if agent is not None}
    return user.team in teams


async def _target(request: web.Request, body: dict[str, Any], user: UserView) -> str:
    """The transfer target as the Telephony port takes it: an extension or "queue:<name>"."""
    if ("agent_id" in body) == ("queue" in body):
        field = "queue" if "queue" in body else "agent_id"
        raise Refused(bad_field(request, field, "give agent_id or queue"))
    if "queue" in body:
        if not QUEUE.fullmatch(body["queue"]):
            raise Refused(bad_field(request, "queue", "a queue name"))
        return f"queue:{body['queue']}"
    agent = await request.app[SERVICES].users.by_id(body["agent_id"])
    if agent is None or not agent.active or not agent.extension or agent.id == user.id:
        raise Refused(bad_field(request, "agent_id", "an active agent with an extension, not yourself"))
    return agent.extension


async def _send(request: web.Request, call: LiveCall, mode: str, target: str, user: UserView) -> None:
    services = request.app[SERVICES]
    link = services.telephony.get(call.pbx)
    if link is None:
        raise Refused(json_error(request, 404, "error.not_found"))
    try:
        if mode == "blind":
            await link.blind_transfer(call.call_id, target)
        else:
            await link.attended_transfer(await _consulting(request, call, user), target)
    except TelephonyError as exc:
        field = "queue" if target.startswith("queue:") else "agent_id"
        raise Refused(telephony_refusal(request, exc, "console.pbx", field=field)) from exc


async def _consulting(request: web.Request, call: LiveCall, user: UserView) -> str:
    """The phone that consults the target: the user's own, or (a supervisor's request) the talking agent's."""
    if user.id in call.talking and user.interface:
        return user.interface
    for agent_id in call.talking:
        agent = await request.app[SERVICES].users.by_id(agent_id)
        if agent is not None and agent.interface:
            return agent.interface
    raise Refused(json_error(request, 409, "console.transfer.nobody_talking"))
