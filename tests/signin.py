"""Signing a test's HTTP client in the way the console's own scripts do.

The session cookie alone is not enough to change anything: every POST, PATCH and DELETE
carries the session's CSRF token, so the client is given it as a default header.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from callcenter.service import Service
from tests.e2e.conftest import PASSWORD

Client = Callable[[str], Awaitable[aiohttp.ClientSession]]


async def sign_in(
    http: aiohttp.ClientSession, base: str, login: str, password: str = PASSWORD
) -> dict[str, Any]:
    """POST {base}/api/session; base is "" for a client made with base_url. Returns the JSON body."""
    async with http.post(f"{base}/api/session", json={"login": login, "password": password}) as resp:
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    http.headers["X-CSRF-Token"] = body["csrf_token"]
    return body


@pytest.fixture
async def client(service: Service) -> AsyncIterator[Client]:
    """Signed-in HTTP clients against the e2e service (session cookie and CSRF header), one per login."""
    sessions: list[aiohttp.ClientSession] = []

    async def open_session(login: str) -> aiohttp.ClientSession:
        http = aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{service.web_port}", cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        sessions.append(http)
        await sign_in(http, "", login, PASSWORD)
        return http

    yield open_session
    for http in sessions:
        await http.close()
