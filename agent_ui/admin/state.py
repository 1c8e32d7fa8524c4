"""Where the administration services live on the app (one typed key, set by setup)."""

from __future__ import annotations

from aiohttp import web

from crm_core.admin.services import AdminServices

ADMIN = web.AppKey("admin_services", AdminServices)


def admin_services(request: web.Request) -> AdminServices:
    return request.app[ADMIN]
