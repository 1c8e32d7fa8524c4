"""The answers' documented shapes are not vacuous: a real customer, service request and callback,
one by one and in their pages, validate against the schemas the OpenAPI document publishes."""

from __future__ import annotations

import aiohttp
import jsonschema_rs
import pytest

from callcenter.service import Service
from tests.signin import sign_in


@pytest.mark.parametrize(
    ("collection", "schema"),
    [
        ("/api/v1/customers", "Customer"),
        ("/api/v1/service-requests", "Ticket"),
        ("/api/v1/callbacks", "Callback"),
    ],
)
async def test_given_team_objects_then_single_and_page_answers_match_the_published_schema(
    service: Service, collection: str, schema: str
) -> None:
    base = f"http://127.0.0.1:{service.web_port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, base, "admin")
        async with http.get(f"{base}/api/v1/openapi.json") as resp:
            shape = (await resp.json())["components"]["schemas"][schema]
        async with http.get(base + collection) as resp:
            assert resp.status == 200
            items = (await resp.json())["items"]
        assert items, "the world has some"
        async with http.get(f"{base}{collection}/{items[0]['id']}") as resp:
            assert resp.status == 200
            single = await resp.json()
    validator = jsonschema_rs.validator_for(shape)
    for answer in (single, *items):
        errors = [e.message for e in validator.iter_errors(answer)]
        assert errors == [], (schema, errors)
    assert not jsonschema_rs.is_valid(shape, {**single, "id": "not a number"})  # the schema has teeth
