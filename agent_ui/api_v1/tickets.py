"""/api/v1/service-requests (complaints are service requests of type "complaint")."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.api_v1.base import PAGING, Route, page, paging, path_id
from agent_ui.api_v1.call_link import CALL_LINK, link_call
from agent_ui.api_v1.schema import F, query_int
from agent_ui.api_v1.services import CrmServices
from crm_core.domain_errors import Forbidden
from crm_core.tickets.lifecycle import PRIORITIES, SEVERITIES, TRANSITIONS
from crm_core.users import UserView

_ID = F("integer", nullable=True, minimum=1)
EDIT = {
    "subject": F("string", max_length=300),
    "description": F("string", max_length=20000),
    "priority": F("string", enum=PRIORITIES),
    "product": F("string", max_length=128),
    "category": F("string", max_length=128),
    "contact_id": _ID,
    "team": F("string", nullable=True, max_length=64),
    "severity": F("string", enum=("", *SEVERITIES)),
    "demand": F("string"),
    "resolution": F("string"),
    "compensation": F("string", max_length=200),
}
CREATE = EDIT | CALL_LINK
CREATE |= {
    "customer_id": F("integer", required=True, minimum=1),
    "subject": F("string", required=True, max_length=300),
    "type": F("string", max_length=32),
    "owner_id": _ID,
}
STEP = {
    "action": F("string", required=True, enum=tuple(TRANSITIONS)),
    "note": F("string"),
    "owner_id": _ID,
    "team": F("string", nullable=True, max_length=64),
    "satisfaction": F("integer", nullable=True),
    "comment": F("string"),
    "resolution": F("string"),
    "compensation": F("string", max_length=200),
}


async def list_requests(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit, offset = paging(request)
    q = request.query
    filters: dict[str, Any] = {"status": q.get("status") or None, "type": q.get("type") or None}
    filters["customer_id"] = query_int(q, "customer_id", None, 1)
    filters["owner_id"] = query_int(q, "owner_id", None, 1)
    filters["overdue"] = q.get("overdue") == "true"
    filters["viewer"] = user  # only requests this user may see, and the total of those
    items, total = await crm.tickets.list(q.get("q", ""), limit, offset, **filters)
    return page(items, total, limit, offset)


async def create_request(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    customer_id, subject = body.pop("customer_id"), body.pop("subject")
    await crm.access.check_field(user, "customer_id", "customer", customer_id, "create_request")
    await crm.access.check_field(user, "contact_id", "customer", body.get("contact_id"), "link")
    await link_call(crm, user, body)
    return (await crm.tickets.create(user, customer_id, subject, **body)).to_json()


async def visible_id(request: web.Request, crm: CrmServices, user: UserView, wanted: str) -> int:
    """The request id in the path, once the user may see it (else 404, refusal audited)."""
    request_id = path_id(request)
    await crm.access.check(user, "service_request", request_id, wanted)
    return request_id


async def get_request(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return (await crm.tickets.get(await visible_id(request, crm, user, "read"))).to_json()


async def patch_request(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    request_id = await visible_id(request, crm, user, "update")
    await crm.access.check_field(user, "contact_id", "customer", body.get("contact_id"), "link")
    return (await crm.tickets.update(request_id, body, user)).to_json()


async def delete_request(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    row_id = await visible_id(request, crm, user, "delete")
    if user.role == "agent":  # agents bin only their own work; supervisors and administrators any they see
        mine = (await crm.tickets.get(row_id)).to_json()
        if user.id not in (mine.get("owner_id"), mine.get("created_by")):
            raise Forbidden("only its owner, a supervisor or an administrator may delete this")
    await crm.recycle.delete("service_request", row_id, user)
    return {"deleted": True}


async def step(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    action, request_id = body.pop("action"), await visible_id(request, crm, user, "step")
    return (await crm.tickets.transition(request_id, action, user, **body)).to_json()


async def history(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    steps = await crm.tickets.history(await visible_id(request, crm, user, "history"))
    return {"items": [h.to_json() for h in steps]}


async def link_article(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    rid = await visible_id(request, crm, user, "link_article")
    await crm.tickets.link_article(rid, body["article_id"], user)
    return {"articles": await crm.tickets.linked_articles(rid)}


async def escalate(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return {"escalated": await crm.tickets.escalate_overdue()}


R = "/api/v1/service-requests"
FILTERS = {"q": "request number or subject", "status": "status", "type": "type", "customer_id": "customer"}
FILTERS |= {"owner_id": "owner", "overdue": "true: only overdue"}
ROUTES = [
    Route(
        "GET",
        R,
        list_requests,
        "List and search service requests",
        query=FILTERS | PAGING,
        response="TicketPage",
    ),
    Route(
        "POST",
        R,
        create_request,
        "Register a service request or complaint",
        CREATE,
        response="Ticket",
        status=201,
    ),
    Route("GET", R + "/{id}", get_request, "A service request", response="Ticket"),
    Route("PATCH", R + "/{id}", patch_request, "Change a service request's fields", EDIT, response="Ticket"),
    Route("DELETE", R + "/{id}", delete_request, "Move a service request to the recycle bin"),
    Route(
        "POST",
        R + "/{id}/steps",
        step,
        "Move along the lifecycle (409 when not allowed)",
        STEP,
        response="Ticket",
    ),
    Route("GET", R + "/{id}/history", history, "Who did what and when"),
    Route(
        "POST",
        R + "/{id}/articles",
        link_article,
        "Link a knowledge-base article",
        {"article_id": F("integer", required=True, minimum=1)},
    ),
    Route(
        "POST",
        "/api/v1/complaints/escalate-overdue",
        escalate,
        "Escalate overdue complaints to a supervisor",
        roles=("supervisor", "admin"),
    ),
]
