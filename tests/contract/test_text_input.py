"""Text the databases cannot store is refused as bad input, naming the field, on SQLite and
PostgreSQL alike (PostgreSQL refuses NUL characters; found by the contract test as 500s)."""

from __future__ import annotations

import aiohttp
import pytest

from callcenter.service import Service
from tests.signin import sign_in


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("POST", "/api/v1/customers", {"name": "刘\u0000洋", "numbers": ["13912345678"]}, "name"),
        ("POST", "/api/v1/customers", {"name": "刘洋", "numbers": ["139\u000012345678"]}, "numbers"),
        ("PATCH", "/api/v1/service-requests/1", {"product": "router\u0000"}, "product"),
        ("GET", "/api/v1/customers?q=a%00b", None, "q"),
    ],
)
async def test_given_text_with_a_nul_character_then_400_naming_the_field(
    service: Service, method: str, path: str, payload: dict | None, field: str
) -> None:
    base = f"http://127.0.0.1:{service.web_port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, base, "admin")
        async with http.request(method, base + path, json=payload) as resp:
            body = await resp.json()
            assert resp.status == 400, body
            assert body["field"] == field


async def test_given_a_lone_surrogate_in_json_then_400_naming_the_field(service: Service) -> None:
    base = f"http://127.0.0.1:{service.web_port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, base, "admin")
        raw = '{"name": "bad \\udead", "numbers": ["13912345678"]}'
        headers = {"Content-Type": "application/json"}
        async with http.post(f"{base}/api/v1/customers", data=raw, headers=headers) as resp:
            body = await resp.json()
            assert resp.status == 400 and body["field"] == "name", body
