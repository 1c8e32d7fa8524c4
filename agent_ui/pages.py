"""The agent console page and small JSON endpoints it needs."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from agent_ui.api_v1.services import CRM
from agent_ui.context import SERVICES, current_user
from agent_ui.errors import json_error
from crm_core.calls import DEFAULT_DISPOSITIONS
from crm_core.tickets.lifecycle import PRIORITIES, SEVERITIES

FALLBACK_PAUSE_REASONS = ("break", "lunch", "meeting", "training")


@aiohttp_jinja2.template("console.html")
async def console_page(request: web.Request) -> dict[str, object]:
    user = current_user(request)
    assert user is not None
    return {"user": user, "console_config": console_config(request)}


def console_config(request: web.Request) -> dict[str, object]:
    """What the console's scripts need from the server: who is signed in, the wrap-up length, and
    the choices of its forms (the code lists the administrators keep are fetched from /api/v1;
    the configured ones here are the fallback when those are not reachable)."""
    services, user = request.app[SERVICES], current_user(request)
    assert user is not None
    types = request.app[CRM].tickets.types
    dispositions = services.calls.dispositions if services.calls is not None else DEFAULT_DISPOSITIONS
    return {
        "me": {"id": user.id, "role": user.role, "extension": user.extension},
        "wrapup_seconds": services.wrapup_seconds,
        "dispositions": list(dispositions),
        "pause_reasons": list(FALLBACK_PAUSE_REASONS),
        "request_types": [t for t in types if t != "complaint"] or list(types),
        "priorities": list(PRIORITIES),
        "severities": list(SEVERITIES),
    }


async def api_me(request: web.Request) -> web.Response:
    user = current_user(request)
    assert user is not None  # the middleware lets no anonymous request through
    return web.json_response(
        {"id": user.id, "login": user.login, "role": user.role, "display_name": user.display_name}
    )


async def api_health(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    links = {name: t.connected for name, t in services.telephony.items()}
    return web.json_response({"status": "ok", "pbx": links})


async def api_customer_card(request: web.Request) -> web.Response:
    """The card the pop-up would show for a number: GET /api/customers/lookup?number=..."""
    number = request.query.get("number", "").strip()
    if not number:
        return json_error(request, 400, "error.bad_request", field="number")
    # Only customers this user may see: another team's customer is not confirmed by a lookup.
    card = await request.app[SERVICES].customers.card_for_number(number, viewer=current_user(request))
    return web.json_response(card.to_json())
