"""/api/v1/campaigns (outbound campaigns: manage, build lists, work them) and /api/v1/dnc."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from aiohttp import web

from agent_ui.api_v1.base import PAGING, Route, path_id
from agent_ui.api_v1.schema import F, query_int
from agent_ui.api_v1.services import CrmServices
from agent_ui.context import LANG_KEY, SERVICES
from agent_ui.dialing import telephony_refusal, unavailable
from agent_ui.errors import json_error
from agent_ui.i18n import DEFAULT_LANGUAGE, translate
from crm_core.campaigns.lists import MAX_ROWS
from crm_core.campaigns.room import CampaignRoom
from crm_core.campaigns.rules import AGENT_OUTCOMES, MODES, PURPOSES
from crm_core.campaigns.work import CampaignHalted, CannotDialNow
from crm_core.domain_errors import Invalid
from crm_core.ports import TelephonyError
from crm_core.users import UserView

log = logging.getLogger(__name__)
ROOM = web.AppKey("campaign_room", CampaignRoom)
MANAGE = ("admin", "supervisor")
EVERYONE = ("admin", "supervisor", "agent")
EDIT = {
    "name": F("string", max_length=128),
    "purpose": F("string", enum=PURPOSES),
    "script": F("string", max_length=20000),
    "team_id": F("integer", nullable=True, minimum=1),
    "mode": F("string", enum=MODES),
    "window": F("object"),
    "retry": F("object"),
    "max_attempts": F("integer", minimum=1, maximum=20),
    "caller_id": F("string", max_length=64),
}
CREATE = EDIT | {"name": F("string", required=True, max_length=128)}


def room(request: web.Request, crm: CrmServices) -> CampaignRoom:
    """The room the composition root built from config, or one with default settings."""
    built = request.app.get(ROOM)
    return built if built is not None else CampaignRoom.build(crm.customers, crm.profiles)


async def list_campaigns(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return {"items": await room(request, crm).campaigns.list(user)}


async def create(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    return await room(request, crm).campaigns.create(body, user)


async def get_one(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return await room(request, crm).campaigns.get(path_id(request), user)


async def patch(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    return await room(request, crm).campaigns.update(path_id(request), body, user)


def _move(verb: str) -> Any:
    async def handler(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
        return await room(request, crm).campaigns.move(path_id(request), verb, user)

    handler.__name__ = f"{verb}_campaign"
    return handler


async def add_from_search(
    request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]
) -> Any:
    filters = {k: body[k] for k in ("kind", "tag", "value_segment", "region", "industry") if body.get(k)}
    for k in ("company_id", "owner_id"):
        if body.get(k) is not None:
            filters[k] = body[k]
    filters["pool"] = body.get("pool") is True
    await room(request, crm).campaigns.get(path_id(request), user)
    return await room(request, crm).lists.from_search(path_id(request), user, body.get("q") or "", filters)


async def import_csv(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    await room(request, crm).campaigns.get(path_id(request), user)  # another team's: 404 before the body
    raw = await request.content.read(MAX_ROWS * 200 + 1)
    if len(raw) > MAX_ROWS * 200:
        raise Invalid("file", "too large")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("file", "must be UTF-8 text") from None
    return await room(request, crm).lists.from_csv(path_id(request), user, text)


async def entries(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit = query_int(request.query, "limit", 50, 1, 500) or 50
    offset = query_int(request.query, "offset", 0, 0) or 0
    status = request.query.get("status") or None
    items, total = await room(request, crm).campaigns.entries(path_id(request), user, status, limit, offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


async def progress(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    from crm_core.campaigns.progress import progress as figures

    hub = request.app[SERVICES].hub
    seats = {agent: seat.get("state", "") for agent, seat in hub.seats.items()}
    r = room(request, crm)
    return await figures(r.work.db, path_id(request), user, r.work.clock(), seats)


async def attempt_body(request: web.Request, crm: CrmServices, r: CampaignRoom, attempt_id: int) -> Any:
    """The card an agent works from: attempt, entry, script, campaign and the customer's card."""
    body = await r.attempt_body(attempt_id)
    customer_id = body["entry"]["customer_id"]
    card = await crm.customers.card(customer_id, body["entry"]["number"]) if customer_id else None
    return body | {"customer": card.to_json() if card is not None else None}


async def next_entry(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    r = room(request, crm)
    attempt_id = await r.work.reserve(path_id(request), user)
    if attempt_id is None:
        return web.Response(status=204)
    return await attempt_body(request, crm, r, attempt_id)


async def current(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    r = room(request, crm)
    attempt_id = await r.work.current(user)
    return web.Response(status=204) if attempt_id is None else await attempt_body(request, crm, r, attempt_id)


async def dial(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    """Click-to-dial the reserved entry: the agent's phone, then the customer; rules re-checked now."""
    if not user.interface:
        return json_error(request, 409, "dial.no_phone")
    links = request.app[SERVICES].telephony
    name = next((n for n, t in links.items() if t.connected), None)
    if name is None:
        return unavailable(request)
    r, call_id = room(request, crm), f"cmp-{uuid.uuid4().hex[:16]}"
    try:
        dialing = await r.work.start_dial(path_id(request), user, name, call_id)
    except CannotDialNow as refused:  # the attempt is closed: "closed" tells the console to drop it
        lang = request.get(LANG_KEY, DEFAULT_LANGUAGE)
        message = translate(lang, f"campaigns.refused.{refused.reason}")
        return web.json_response({"error": refused.reason, "message": message, "closed": True}, status=409)
    except CampaignHalted:
        return json_error(request, 409, "campaigns.refused.halted", closed=True)
    telephony = links[name]
    was_up = telephony.connected  # no await before the adapter checks the link itself
    try:
        await telephony.originate(user.interface, dialing.number, call_id)
    except TelephonyError as exc:
        log.warning("campaign dial refused user=%s code=%s", user.id, exc.code)
        if was_up and exc.code in ("timeout", "not_connected"):  # sent, reply lost: it may be ringing
            body = {"call_id": call_id, "attempt_id": dialing.attempt_id, "unconfirmed": True}
            return web.json_response(body, status=202)
        await r.work.dial_failed(dialing.attempt_id)
        refusal = telephony_refusal(request, exc, "dial")
        refusal.text = json.dumps({**json.loads(refusal.text or "{}"), "closed": True})
        return refusal
    return web.json_response({"call_id": call_id, "attempt_id": dialing.attempt_id}, status=202)


async def skip(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    await room(request, crm).work.skip(path_id(request), user, body["reason"])
    return {"skipped": True}


async def outcome(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    r = room(request, crm)
    await r.work.agent_outcome(path_id(request), user, body["outcome"], body.get("note") or "")
    return await r.attempt_body(path_id(request))


async def dnc_list(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return {"items": await room(request, crm).dnc.search(request.query.get("q", ""))}


async def dnc_add(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    return await room(request, crm).dnc.add(body["number"], body.get("reason") or "", user)


async def dnc_remove(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    await room(request, crm).dnc.remove(request.match_info["number"], user)
    return {"deleted": True}


C = "/api/v1/campaigns"
A = C + "/attempts"
SEARCH = {
    "q": F("string", max_length=200),
    "kind": F("string", max_length=16),
    "tag": F("string", max_length=64),
}
SEARCH |= {k: F("string", max_length=64) for k in ("value_segment", "region", "industry")}
SEARCH |= {"company_id": F("integer", minimum=1), "owner_id": F("integer", minimum=1), "pool": F("boolean")}
ENTRY_QUERY = {"status": "pending|reserved|dialing|done|failed|skipped|dnc"} | PAGING
ROUTES = [
    Route(
        "GET", C, list_campaigns, "List campaigns (agents: their team's running and paused)", roles=EVERYONE
    ),
    Route("POST", C, create, "Create a campaign", CREATE, status=201, roles=MANAGE),
    Route(
        "GET",
        A + "/current",
        current,
        "The signed-in agent's open attempt (204: none)",
        roles=EVERYONE,
        no_content="the agent has no open attempt",
    ),
    Route("POST", A + "/{id}/dial", dial, "Dial a reserved entry (409 dnc / outside_window)", roles=EVERYONE),
    Route(
        "POST",
        A + "/{id}/skip",
        skip,
        "Skip a reserved entry, saying why",
        {"reason": F("string", required=True, max_length=200)},
        roles=EVERYONE,
    ),
    Route(
        "POST",
        A + "/{id}/outcome",
        outcome,
        "The agent's verdict on a dialed attempt",
        {"outcome": F("string", required=True, enum=AGENT_OUTCOMES), "note": F("string", max_length=2000)},
        roles=EVERYONE,
    ),
    Route("GET", C + "/{id}", get_one, "A campaign", roles=EVERYONE),
    Route("PATCH", C + "/{id}", patch, "Change a campaign", EDIT, roles=MANAGE),
    Route("POST", C + "/{id}/start", _move("start"), "Start (or resume) a campaign", roles=MANAGE),
    Route("POST", C + "/{id}/pause", _move("pause"), "Pause a campaign", roles=MANAGE),
    Route("POST", C + "/{id}/stop", _move("stop"), "Stop a campaign for good", roles=MANAGE),
    Route(
        "POST",
        C + "/{id}/entries/search",
        add_from_search,
        "Add the numbers of a customer search",
        SEARCH,
        roles=MANAGE,
    ),
    Route(
        "POST",
        C + "/{id}/entries/import",
        import_csv,
        "Import numbers from CSV (number[,name,timezone,customer_id]); bad rows are reported",
        roles=MANAGE,
    ),
    Route("GET", C + "/{id}/entries", entries, "A campaign's entries", query=ENTRY_QUERY, roles=MANAGE),
    Route(
        "GET", C + "/{id}/progress", progress, "Done/pending/failed, contacts per hour, agents", roles=MANAGE
    ),
    Route(
        "POST",
        C + "/{id}/next",
        next_entry,
        "Reserve the next callable entry (204: none now)",
        roles=EVERYONE,
        no_content="no entry can be called now",
    ),
    Route("GET", "/api/v1/dnc", dnc_list, "Search the do-not-call list", query={"q": "digits"}, roles=MANAGE),
    Route(
        "POST",
        "/api/v1/dnc",
        dnc_add,
        "Put a number on the do-not-call list",
        {"number": F("string", required=True, max_length=64), "reason": F("string", max_length=200)},
        status=201,
        roles=MANAGE,
    ),
    Route(
        "DELETE", "/api/v1/dnc/{number}", dnc_remove, "Take a number off the do-not-call list", roles=MANAGE
    ),
]
