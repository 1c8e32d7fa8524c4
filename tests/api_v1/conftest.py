"""The real aiohttp app on 127.0.0.1 over each real database, with signed-in HTTP clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web

from agent_ui.app import create_app
from agent_ui.context import UiServices
from agent_ui.hub import ConsoleHub
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.sessions import SessionService
from crm_core.users import UserService
from tests.e2e.conftest import ami, open_console, pbx, service  # noqa: F401  (shared service fixtures)
from tests.signin import sign_in

PASSWORD = "pw-for-api-tests"


@dataclass
class Api:
    base: str
    agent: aiohttp.ClientSession
    admin: aiohttp.ClientSession
    anonymous: aiohttp.ClientSession
    users: UserService

    def url(self, path: str) -> str:
        return self.base + path


async def _signed_in(base: str, login: str) -> aiohttp.ClientSession:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies from an IP address (127.0.0.1)
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30), cookie_jar=jar)
    await sign_in(http, base, login, PASSWORD)
    return http


@pytest.fixture
async def api(db: Database) -> AsyncIterator[Api]:
    users = UserService(db)
    customers = CustomerService(db, "CN")
    sessions = SessionService(db, timedelta(hours=8), timedelta(hours=24))
    ui = UiServices(users, customers, sessions, ConsoleHub(users, customers), {})
    await users.create("agent", PASSWORD, "Agent")
    await users.create("admin", PASSWORD, "Admin", role="admin")
    runner = web.AppRunner(create_app(ui), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    clients = [await _signed_in(base, "agent"), await _signed_in(base, "admin"), aiohttp.ClientSession()]
    try:
        yield Api(base, *clients, users)
    finally:
        for http in clients:
            await http.close()
        await runner.cleanup()
