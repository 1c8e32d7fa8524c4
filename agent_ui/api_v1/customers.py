"""/api/v1/customers and caller identification."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.api_v1.base import PAGING, Route, page, paging, path_id
from agent_ui.api_v1.call_link import CALL_LINK, link_call
from agent_ui.api_v1.schema import F, query_int
from agent_ui.api_v1.services import CrmServices
from crm_core.contacts.rules import KINDS
from crm_core.users import UserView

_S = F("string", max_length=64)
EDIT = {
    "name": F("string", max_length=200),
    "kind": F("string", enum=KINDS),
    "company": F("string", nullable=True, max_length=200),
    "company_id": F("integer", nullable=True, minimum=1),
    "numbers": F("array"),
    "emails": F("array"),
    "tags": F("array"),
    "value_segment": F("string", max_length=32),
    "region": _S,
    "industry": _S,
    "owner_id": F("integer", nullable=True, minimum=1),
    "timezone": F("string", max_length=64),
}
CREATE = EDIT | {"name": F("string", required=True, max_length=200), "numbers": F("array", required=True)}
NOTE = {"body": F("string", required=True, max_length=20000)} | CALL_LINK


async def list_customers(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit, offset = paging(request)
    q = request.query
    filters = {name: q.get(name) or None for name in ("kind", "tag", "value_segment", "region", "industry")}
    filters["company_id"] = query_int(q, "company_id", None, 1)
    filters["owner_id"] = query_int(q, "owner_id", None, 1)
    filters["pool"] = q.get("pool") == "true"
    filters["viewer"] = user  # only customers this user may see, and the total of those
    items, total = await crm.profiles.list(q.get("q", ""), limit, offset, **filters)
    return page(items, total, limit, offset)


async def create_customer(
    request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]
) -> Any:
    await crm.access.check_field(user, "company_id", "customer", body.get("company_id"), "link")
    name, numbers = body.pop("name"), body.pop("numbers")
    company, kind = body.pop("company", None), body.pop("kind", "person")
    cid = await crm.customers.create(name, numbers, company, kind, actor=user, **body)
    return (await crm.profiles.get(cid)).to_json()


async def visible_id(request: web.Request, crm: CrmServices, user: UserView, wanted: str) -> int:
    """The customer id in the path, once the user may see it (else 404, refusal audited)."""
    customer_id = path_id(request)
    await crm.access.check(user, "customer", customer_id, wanted)
    return customer_id


async def get_customer(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return (await crm.profiles.get(await visible_id(request, crm, user, "read"))).to_json()


async def patch_customer(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    customer_id = await visible_id(request, crm, user, "update")
    await crm.access.check_field(user, "company_id", "customer", body.get("company_id"), "link")
    return (await crm.profiles.update(customer_id, body, user)).to_json()


async def delete_customer(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    customer_id = await visible_id(request, crm, user, "delete")
    await crm.profiles.check_editable(customer_id, user)  # seeing a customer is not owning it
    await crm.recycle.delete("customer", customer_id, user)
    return {"deleted": True}


async def claim(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return (await crm.profiles.claim(await visible_id(request, crm, user, "claim"), user)).to_json()


async def share(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    shared, customer_id = body.get("shared", True), await visible_id(request, crm, user, "share")
    return (await crm.profiles.share(customer_id, body["user_id"], user, shared)).to_json()


async def add_note(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    customer_id = await visible_id(request, crm, user, "note")
    await link_call(crm, user, body)
    note = await crm.profiles.add_note(customer_id, body["body"], user, body.get("call_record_id"))
    return note.to_json()


async def timeline(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit, _offset = paging(request)
    items = await crm.timeline.for_customer(await visible_id(request, crm, user, "timeline"), limit)
    return {"items": [i.to_json() for i in items]}


async def identify(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    number = request.query.get("number", "")
    return (await crm.customers.card_for_number(number, viewer=user)).to_json()  # only visible customers


async def pick(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    await crm.access.check_field(user, "customer_id", "customer", body["customer_id"], "pick")
    await crm.customers.remember_pick(body["number"], body["customer_id"], user)
    return (await crm.customers.card_for_number(body["number"], viewer=user)).to_json()


C = "/api/v1/customers"
FILTERS = {"q": "name, company, e-mail or any written form of a number", "kind": "person|company"}
FILTERS |= {
    "tag": "tag",
    "company_id": "contacts of this company",
    "owner_id": "owner",
    "pool": "true: unowned",
}
FILTERS |= {"value_segment": "segment", "region": "region", "industry": "industry"}
ROUTES = [
    Route(
        "GET", C, list_customers, "List and search customers", query=FILTERS | PAGING, response="CustomerPage"
    ),
    Route("POST", C, create_customer, "Create a customer", CREATE, response="Customer", status=201),
    Route("GET", C + "/{id}", get_customer, "A customer", response="Customer"),
    Route("PATCH", C + "/{id}", patch_customer, "Change a customer", EDIT, response="Customer"),
    Route("DELETE", C + "/{id}", delete_customer, "Move a customer to the recycle bin"),
    Route("POST", C + "/{id}/claim", claim, "Claim a customer from the shared pool", response="Customer"),
    Route(
        "POST",
        C + "/{id}/share",
        share,
        "Share a customer with an agent (or stop sharing)",
        {"user_id": F("integer", required=True, minimum=1), "shared": F("boolean")},
        response="Customer",
    ),
    Route(
        "POST",
        C + "/{id}/notes",
        add_note,
        "Add a note, linked to the call it was written on when one is named",
        NOTE,
        status=201,
    ),
    Route("GET", C + "/{id}/timeline", timeline, "Calls, requests, callbacks and notes, newest first"),
    Route("GET", "/api/v1/identify", identify, "The card for a calling number", query={"number": "number"}),
    Route(
        "POST",
        "/api/v1/identify/pick",
        pick,
        "Remember the customer picked for a shared number",
        {"number": F("string", required=True, max_length=64), "customer_id": F("integer", required=True)},
    ),
]
