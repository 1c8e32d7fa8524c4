"""/api/v1 knowledge base, audit trail and recycle bin."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.api_v1.base import PAGING, Route, page, paging, path_id
from agent_ui.api_v1.schema import F, query_int
from agent_ui.api_v1.services import CrmServices
from crm_core.recycle.service import ENTITIES as BIN_ENTITIES
from crm_core.users import UserView


async def search_kb(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit, offset = paging(request)
    items, total = await crm.kb.search(request.query.get("q", ""), limit, offset)
    return page(items, total, limit, offset)


async def create_article(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    return (await crm.kb.create(body["question"], body["answer"], body.get("tags", []), user)).to_json()


async def get_article(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return (await crm.kb.get(path_id(request))).to_json()


async def audit(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit, offset = paging(request)
    entity_id = query_int(request.query, "entity_id", None, 1)
    entity = request.query.get("entity") or None
    items = await crm.audit.list(entity, entity_id, limit, offset, viewer=user)  # a supervisor: their scope
    return {"items": [i.to_json() for i in items], "limit": limit, "offset": offset}


async def bin_list(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit, offset = paging(request)
    items = await crm.recycle.list(request.query.get("entity") or None, limit, offset, viewer=user)
    return {"items": [i.to_json() for i in items], "limit": limit, "offset": offset}


async def restore(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    entity, entity_id = request.match_info["entity"], path_id(request)
    if entity in BIN_ENTITIES:  # an unknown entity is the service's 400
        await crm.access.check(user, entity, entity_id, "restore")
    await crm.recycle.restore(entity, entity_id, user)
    return {"restored": True}


async def purge(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    await crm.recycle.purge(request.match_info["entity"], path_id(request), user)
    return {"purged": True}


K = "/api/v1/kb/articles"
SUPERVISING = ("supervisor", "admin")  # refused others get the audited 403 of agent_ui.access
BIN = "/api/v1/recycle-bin/{entity}/{id}"
ARTICLE = {"question": F("string", required=True, max_length=300), "answer": F("string", required=True)}
ROUTES = [
    Route("GET", K, search_kb, "Search articles", query={"q": "words to find"} | PAGING),
    Route("POST", K, create_article, "Write an article", ARTICLE | {"tags": F("array")}, status=201),
    Route("GET", K + "/{id}", get_article, "An article"),
    Route(
        "GET",
        "/api/v1/audit",
        audit,
        "The audit trail (a supervisor: rows about what they may see)",
        query={"entity": "e", "entity_id": "id"} | PAGING,
        roles=SUPERVISING,
    ),
    Route(
        "GET", "/api/v1/recycle-bin", bin_list, "What is in the recycle bin", query={"entity": "e"} | PAGING
    ),
    Route("POST", BIN + "/restore", restore, "Restore from the recycle bin (supervisor)", roles=SUPERVISING),
    Route("DELETE", BIN, purge, "Purge for good (administrator)", roles=("admin",)),
]
