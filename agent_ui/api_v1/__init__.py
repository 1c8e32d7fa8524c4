"""The JSON API under /api/v1: customers, service requests, complaints, callbacks, KB, audit, bin.

Sign-in is the app's session middleware (anonymous /api/* gets 401); handlers
stay thin and call the crm_core services.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.api_v1 import (
    admin,
    callbacks,
    calls_history,
    campaigns,
    customers,
    data_rights,
    misc,
    reports,
    tickets,
)
from agent_ui.api_v1.base import Route, wrap
from agent_ui.api_v1.openapi import document
from agent_ui.api_v1.services import CRM, CrmServices
from agent_ui.context import SERVICES

ROUTES: list[Route] = [*customers.ROUTES, *tickets.ROUTES, *callbacks.ROUTES, *misc.ROUTES, *admin.ROUTES]
ROUTES += calls_history.ROUTES
ROUTES += reports.ROUTES
ROUTES += campaigns.ROUTES
ROUTES += data_rights.ROUTES


def setup(app: web.Application, crm: CrmServices | None = None) -> None:
    """Register every /api/v1 route and the OpenAPI document on app."""
    app[CRM] = crm or CrmServices.defaults(app[SERVICES].customers)
    for route in ROUTES:
        app.router.add_route(route.method, route.path, wrap(route))
    spec = document(ROUTES)

    async def openapi(_request: web.Request) -> web.Response:
        return web.json_response(spec)

    app.router.add_get("/api/v1/openapi.json", openapi)


__all__: list[Any] = ["ROUTES", "CrmServices", "setup"]
