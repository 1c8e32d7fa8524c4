"""The real aiohttp app on 127.0.0.1, over each real database, with an administrator, a supervisor
and an agent signed in (each its own HTTP client, carrying its session's CSRF token)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from agent_ui.app import create_app
from agent_ui.context import UiServices
from agent_ui.hub import ConsoleHub
from crm_core.admin.models import Team
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.sessions import SessionService
from crm_core.users import UserService, UserView
from tests.e2e.conftest import ami, open_console, pbx, service  # noqa: F401  (shared service fixtures)
from tests.signin import sign_in

PASSWORD = "pw-for-admin-tests"


@dataclass
class Site:
    base: str
    db: Database
    users: UserService
    admin: aiohttp.ClientSession
    supervisor: aiohttp.ClientSession
    agent: aiohttp.ClientSession
    anonymous: aiohttp.ClientSession
    people: dict[str, UserView]
    clients: list[aiohttp.ClientSession]

    def url(self, path: str) -> str:
        return self.base + path

    async def client(self, login: str, password: str = PASSWORD) -> aiohttp.ClientSession:
        """Another signed-in browser (closed with the site)."""
        http = _client()
        self.clients.append(http)
        await sign_in(http, self.base, login, password)
        return http


def _client() -> aiohttp.ClientSession:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies from an IP address (127.0.0.1)
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30), cookie_jar=jar)


async def call(http: aiohttp.ClientSession, method: str, url: str, **kw: Any) -> tuple[int, Any]:
    async with http.request(method, url, **kw) as resp:
        return resp.status, await resp.json(content_type=None)


async def page(http: aiohttp.ClientSession, method: str, url: str, **kw: Any) -> tuple[int, str, str]:
    """(status, body, Location) of a page request, redirects not followed."""
    async with http.request(method, url, allow_redirects=False, **kw) as resp:
        return resp.status, await resp.text(), resp.headers.get("Location", "")


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    users = UserService(db)
    customers = CustomerService(db, "CN")
    sessions = SessionService(db, timedelta(hours=8), timedelta(hours=24))
    ui = UiServices(users, customers, sessions, ConsoleHub(users, customers), {})
    async with db.write() as s:
        s.add_all([Team(name="north", label="North"), Team(name="south", label="South")])
    people = {
        "root": await users.create("root", PASSWORD, "Root Admin", role="admin"),
        "sup": await users.create("sup", PASSWORD, "Sue Pervisor", role="supervisor"),
        "agent": await users.create("agent", PASSWORD, "Li Na", interface="PJSIP/1001", extension="1001"),
    }
    runner = web.AppRunner(create_app(ui), access_log=None)
    await runner.setup()
    site_ = web.TCPSite(runner, "127.0.0.1", 0)
    await site_.start()
    port = site_._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    clients = [_client() for _ in range(4)]
    for http, login in zip(clients, ("root", "sup", "agent"), strict=False):
        await sign_in(http, base, login, PASSWORD)
    made = Site(base, db, users, *clients, people=people, clients=clients)
    try:
        yield made
    finally:
        for http in made.clients:
            await http.close()
        await runner.cleanup()
