"""The agent console page and small JSON endpoints it needs."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from agent_ui.context import SERVICES, current_user
from agent_ui.errors import json_error


@aiohttp_jinja2.template("console.html")
async def console_page(request: web.Request) -> dict[str, object]:
    return {"user": current_user(request)}


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
    card = await request.app[SERVICES].customers.card_for_number(number)
    return web.json_response(card.to_json())
