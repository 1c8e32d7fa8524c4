"""Signing a test's HTTP client in the way the console's own scripts do.

The session cookie alone is not enough to change anything: every POST, PATCH and DELETE
carries the session's CSRF token, so the client is given it as a default header.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.e2e.conftest import PASSWORD


async def sign_in(
    http: aiohttp.ClientSession, base: str, login: str, password: str = PASSWORD
) -> dict[str, Any]:
    """POST {base}/api/session; base is "" for a client made with base_url. Returns the JSON body."""
    async with http.post(f"{base}/api/session", json={"login": login, "password": password}) as resp:
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    http.headers["X-CSRF-Token"] = body["csrf_token"]
    return body
