"""/api/v1/callbacks and the do-not-call list."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.api_v1.base import PAGING, Route, page, paging, path_id
from agent_ui.api_v1.call_link import CALL_LINK, link_call
from agent_ui.api_v1.schema import F, query_int
from agent_ui.api_v1.services import CrmServices
from agent_ui.dialing import DialRefused, click_to_dial
from crm_core.callbacks.service import OUTCOMES
from crm_core.domain_errors import Forbidden
from crm_core.users import UserView

_ID = F("integer", nullable=True, minimum=1)
CREATE = {
    "number": F("string", required=True, max_length=64),
    "scheduled_at": F("string", nullable=True, format="date-time"),
    "customer_id": _ID,
    "service_request_id": _ID,
    "assigned_user_id": _ID,
    "queue": F("string", nullable=True, max_length=64),
    "source": F("string", enum=("agent", "ivr")),
    "note": F("string"),
} | CALL_LINK  # the call it was promised on


async def list_callbacks(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit, offset = paging(request)
    q = request.query
    filters: dict[str, Any] = {"status": q.get("status") or None, "number": q.get("number") or None}
    filters["customer_id"] = query_int(q, "customer_id", None, 1)
    filters["assigned_user_id"] = query_int(q, "assigned_user_id", None, 1)
    filters["viewer"] = user  # only callbacks this user may see, and the total of those
    items, total = await crm.callbacks.list(limit, offset, **filters)
    return page(items, total, limit, offset)


async def create_callback(
    request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]
) -> Any:
    await crm.access.check_field(user, "customer_id", "customer", body.get("customer_id"), "callback")
    await crm.access.check_field(
        user, "service_request_id", "service_request", body.get("service_request_id"), "callback"
    )
    await link_call(crm, user, body)
    number, when = body.pop("number"), body.pop("scheduled_at", None)
    return (await crm.callbacks.create(user, number, when, **body)).to_json()


async def visible_id(request: web.Request, crm: CrmServices, user: UserView, wanted: str) -> int:
    """The callback id in the path, once the user may see it (else 404, refusal audited)."""
    callback_id = path_id(request)
    await crm.access.check(user, "callback", callback_id, wanted)
    return callback_id


async def get_callback(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return (await crm.callbacks.get(await visible_id(request, crm, user, "read"))).to_json()


async def delete_callback(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    row_id = await visible_id(request, crm, user, "delete")
    if user.role == "agent":  # agents bin only their own work; supervisors and administrators any they see
        mine = (await crm.callbacks.get(row_id)).to_json()
        if user.id not in (mine.get("owner_id"), mine.get("created_by")):
            raise Forbidden("only its owner, a supervisor or an administrator may delete this")
    await crm.recycle.delete("callback", row_id, user)
    return {"deleted": True}


async def due(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return {"items": [c.to_json() for c in await crm.callbacks.due(viewer=user)]}


async def next_for_me(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    found = await crm.callbacks.next_due_for_agent(user.id, viewer=user)
    return {"callback": found.to_json() if found else None}


async def accept(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    """Take the callback and dial it at once: the agent's phone rings, then the customer."""
    callback = await crm.callbacks.accept(await visible_id(request, crm, user, "accept"), user)
    try:
        call_id = await click_to_dial(request, user, callback.number)
    except DialRefused as refused:
        # Not dialled: count the attempt as failed so the retry policy takes it from here.
        await crm.callbacks.record_attempt(callback.id, user, "failed", "could not be dialled")
        return refused.response
    return {**callback.to_json(), "call_id": call_id}


async def attempt(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    callback_id = await visible_id(request, crm, user, "attempt")
    cb = await crm.callbacks.record_attempt(callback_id, user, body["outcome"], body.get("note", ""))
    return cb.to_json()


async def do_not_call(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    blocked = body.get("blocked", True)
    key = await crm.callbacks.set_do_not_call(body["number"], user, blocked, body.get("reason", ""))
    return {"number": key, "blocked": blocked}


B = "/api/v1/callbacks"
FILTERS = {"status": "pending|accepted|done|failed", "number": "any written form", "customer_id": "customer"}
FILTERS |= {"assigned_user_id": "preferred agent"}
ROUTES = [
    Route("GET", B, list_callbacks, "List callbacks", query=FILTERS | PAGING, response="CallbackPage"),
    Route("POST", B, create_callback, "Schedule a callback", CREATE, response="Callback", status=201),
    Route("GET", B + "/due", due, "Callbacks due now"),
    Route("GET", B + "/next", next_for_me, "The next callback to offer the signed-in agent"),
    Route("GET", B + "/{id}", get_callback, "A callback", response="Callback"),
    Route("DELETE", B + "/{id}", delete_callback, "Move a callback to the recycle bin"),
    Route("POST", B + "/{id}/accept", accept, "Take a due callback (409 if taken)", response="Callback"),
    Route(
        "POST",
        B + "/{id}/attempts",
        attempt,
        "Record a dial attempt and its outcome",
        {"outcome": F("string", required=True, enum=OUTCOMES), "note": F("string")},
        response="Callback",
    ),
    Route(
        "POST",
        "/api/v1/do-not-call",
        do_not_call,
        "Put a number on (or take it off) the do-not-call list",
        {"number": F("string", required=True, max_length=64), "blocked": F("boolean"), "reason": F("string")},
    ),
]
