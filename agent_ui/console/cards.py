"""What the console reads besides the stream: a customer's card without a call, and due callbacks.

The card is the same one a screen pop carries, so a customer opened from a search
or a callback looks and works exactly like one that called.
"""

from __future__ import annotations

from aiohttp import web

from agent_ui.api_v1.base import path_id
from agent_ui.api_v1.services import CRM
from agent_ui.context import SERVICES, current_user
from agent_ui.errors import json_error
from crm_core.domain_errors import NotFound
from crm_core.phones import display_number

DUE_ON_CONSOLE = 50


async def customer_card(request: web.Request) -> web.Response:
    """GET /api/console/customers/{id}/card[?pop_id=<pbx>:<call id>]: the pop-up card of a customer.

    A card refreshed during a call names it (pop_id), so it is left out of the earlier calls,
    as it is on the pop itself.
    """
    user = current_user(request)
    assert user is not None
    pbx, sep, call_id = request.query.get("pop_id", "").partition(":")
    current = (pbx, call_id) if sep and pbx and call_id else None
    try:
        customer_id = path_id(request)
        await request.app[CRM].access.check(user, "customer", customer_id, "card")
        card = await request.app[SERVICES].customers.card(customer_id, current_call=current)
    except NotFound:
        return json_error(request, 404, "error.not_found")  # or not this user's to see: never confirmed
    return web.json_response(card.to_json())


async def due_callbacks(request: web.Request) -> web.Response:
    """GET /api/console/callbacks: callbacks due now, the signed-in agent's own first, with names."""
    user = current_user(request)
    assert user is not None
    crm = request.app[CRM]
    due = [c.to_json() for c in await crm.callbacks.due(viewer=user)]
    due.sort(key=lambda c: (c["assigned_user_id"] != user.id, c["assigned_user_id"] is not None))
    items = due[:DUE_ON_CONSOLE]
    names = await _names(request, {c["customer_id"] for c in items if c["customer_id"]})
    region = request.app[SERVICES].customers.region
    for item in items:
        item["mine"] = item["assigned_user_id"] == user.id
        item["customer_name"] = names.get(item["customer_id"])
        item["number_display"] = display_number(item["number"], region)
    return web.json_response({"items": items, "total": len(due)})


async def _names(request: web.Request, ids: set[int]) -> dict[int, str]:
    profiles = request.app[CRM].profiles
    names: dict[int, str] = {}
    for customer_id in ids:
        try:
            names[customer_id] = (await profiles.get(customer_id)).name
        except NotFound:
            continue  # in the recycle bin since the callback was made
    return names
