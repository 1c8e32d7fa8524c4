"""The plumbing every /api/v1 handler shares: services, the signed-in user, errors, paging.

Handlers are registered with `Route` so the OpenAPI document is built from the
same table the router uses: a route cannot exist undocumented.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from agent_ui.access import refuse
from agent_ui.api_v1.schema import Spec, check_text, query_int, validate
from agent_ui.api_v1.services import CRM
from agent_ui.context import current_user
from agent_ui.errors import json_error
from crm_core.domain_errors import Conflict, CrmError, Forbidden, Invalid, NotFound
from crm_core.users import ROLES

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[Any]]
STATUS = {Invalid: (400, "error.bad_request"), NotFound: (404, "error.not_found")}
STATUS |= {Conflict: (409, "error.conflict"), Forbidden: (403, "error.forbidden")}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    body: Spec | None = None
    query: dict[str, str] = field(default_factory=dict)  # name -> description
    response: str = "Object"  # name of a response schema in openapi.RESPONSES
    status: int = 200
    roles: tuple[str, ...] = ROLES  # who may call it at all; objects are checked again by the services
    no_content: str = ""  # when it may also answer 204 with no body: what that means (OpenAPI)


def wrap(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Turn a route's handler(request, crm, user, body) into an aiohttp handler with error mapping."""

    async def handle(request: web.Request) -> web.StreamResponse:
        user = current_user(request)
        if user is None or user.role not in route.roles:
            return await refuse(request, "role")
        try:
            for name, value in request.query.items():
                check_text(name, value)
            body = await _body(request, route.body) if route.body is not None else None
            result = await route.handler(request, request.app[CRM], current_user(request), body)
        except CrmError as exc:
            return _error(request, exc)
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(result, status=route.status)

    return handle


async def _body(request: web.Request, spec: Spec) -> dict[str, Any]:
    try:
        raw = await request.json()
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError):
        raise Invalid("body", "must be JSON") from None
    return validate(spec, raw)


def _error(request: web.Request, exc: CrmError) -> web.Response:
    for kind, (status, key) in STATUS.items():
        if isinstance(exc, kind):
            extra: dict[str, Any] = {"detail": exc.message}
            key = getattr(exc, "key", None) or key  # an error with its own message says it
            return json_error(request, status, key, field=getattr(exc, "field", None), **extra)
    log.warning("unmapped domain error %s", type(exc).__name__)
    return json_error(request, 400, "error.bad_request", detail=exc.message)


def path_id(request: web.Request, name: str = "id") -> int:
    """A numeric id from the path; anything else cannot name an object, so 404."""
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 10 or int(raw) > 2**31 - 1:
        raise NotFound(f"no object {raw!r}")
    return int(raw)


def paging(request: web.Request) -> tuple[int, int]:
    limit = query_int(request.query, "limit", 50, 1, 200)
    offset = query_int(request.query, "offset", 0, 0)
    return limit or 50, offset or 0


def page(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": [i.to_json() for i in items], "total": total, "limit": limit, "offset": offset}


PAGING = {"limit": "page size, 1-200 (default 50)", "offset": "items to skip (default 0)"}
