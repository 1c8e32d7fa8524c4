"""The administration room: server-rendered pages under /admin, for administrators only.

setup() builds the administration services from what the app already holds (users,
sessions, the PBX links) and registers the pages; the JSON side is agent_ui/api_v1/admin.py.
"""

from __future__ import annotations

from aiohttp import web

from agent_ui.admin import codes_pages, named_pages, queues_pages, records_pages, users_pages
from agent_ui.admin.state import ADMIN
from agent_ui.context import SERVICES
from crm_core.admin.services import AdminServices


def setup(app: web.Application) -> None:
    services = app[SERVICES]
    admin = AdminServices.build(services.users, services.sessions, services.telephony)
    admin.users.signed_out.append(services.hub.streams.close_user)  # open consoles close at once
    if services.wallboard is not None:
        admin.users.signed_out.append(services.wallboard.close_user)  # and wallboard screens
    app[ADMIN] = admin
    for pages in (records_pages, users_pages, named_pages, codes_pages, queues_pages):
        pages.routes(app)
