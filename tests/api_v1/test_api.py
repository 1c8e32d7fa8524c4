"""The /api/v1 JSON API over HTTP: happy paths, every error status, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import aiohttp

from agent_ui.api_v1 import ROUTES
from tests.api_v1.conftest import Api


async def call(http: aiohttp.ClientSession, method: str, url: str, **kw: Any) -> tuple[int, Any]:
    async with http.request(method, url, **kw) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_anonymous_gets_401(api: Api) -> None:
    status, body = await call(api.anonymous, "GET", api.url("/api/v1/customers"))
    assert status == 401 and "error" in body


async def test_customer_crud_search_and_soft_delete(api: Api) -> None:
    status, made = await call(
        api.agent,
        "POST",
        api.url("/api/v1/customers"),
        json={"name": "王五", "numbers": ["010-12345678"], "tags": ["vip"]},
    )
    assert status == 201 and made["phones"][0]["e164"] == "+861012345678"
    status, found = await call(
        api.agent, "GET", api.url("/api/v1/customers"), params={"q": "+86 10 1234 5678"}
    )
    assert status == 200 and found["total"] == 1 and found["items"][0]["id"] == made["id"]
    status, patched = await call(
        api.agent, "PATCH", api.url(f"/api/v1/customers/{made['id']}"), json={"region": "north"}
    )
    assert status == 200 and patched["region"] == "north"
    status, _ = await call(api.agent, "DELETE", api.url(f"/api/v1/customers/{made['id']}"))
    assert status == 200
    status, body = await call(api.agent, "GET", api.url(f"/api/v1/customers/{made['id']}"))
    assert status == 404 and body["error"] == "error.not_found"
    status, _ = await call(api.agent, "POST", api.url(f"/api/v1/recycle-bin/customer/{made['id']}/restore"))
    assert status == 403
    status, _ = await call(api.admin, "POST", api.url(f"/api/v1/recycle-bin/customer/{made['id']}/restore"))
    assert status == 200


async def test_bad_payload_names_the_field(api: Api) -> None:
    cases = [
        ({"numbers": ["1"]}, "name"),
        ({"name": "x", "numbers": "123"}, "numbers"),
        ({"name": "x", "numbers": ["1"], "kind": "robot"}, "kind"),
        ({"name": "x", "numbers": ["1"], "timezone": "Nowhere/City"}, "timezone"),
        ({"name": "x", "numbers": ["1"], "colour": "red"}, "colour"),
    ]
    for payload, field in cases:
        status, body = await call(api.agent, "POST", api.url("/api/v1/customers"), json=payload)
        assert (status, body.get("field")) == (400, field), payload
    status, body = await call(api.agent, "POST", api.url("/api/v1/customers"), data=b"{not json")
    assert (status, body["field"]) == (400, "body")
    status, body = await call(api.agent, "GET", api.url("/api/v1/customers"), params={"limit": "lots"})
    assert (status, body["field"]) == (400, "limit")


async def test_service_request_lifecycle_409_and_search_by_number(api: Api) -> None:
    _, cust = await call(
        api.agent, "POST", api.url("/api/v1/customers"), json={"name": "C", "numbers": ["13800138000"]}
    )
    status, sr = await call(
        api.agent,
        "POST",
        api.url("/api/v1/service-requests"),
        json={"customer_id": cust["id"], "subject": "Broken", "type": "complaint", "severity": "major"},
    )
    assert status == 201 and sr["number"].startswith("SR-")
    steps = api.url(f"/api/v1/service-requests/{sr['id']}/steps")
    status, body = await call(api.agent, "POST", steps, json={"action": "close"})
    assert status == 409 and body["error"] == "error.conflict" and "registered" in body["detail"]
    status, body = await call(api.agent, "POST", steps, json={"action": "dispatch", "team": "field"})
    assert status == 200 and body["status"] == "dispatched"
    status, body = await call(api.agent, "POST", steps, json={"action": "teleport"})
    assert (status, body["field"]) == (400, "action")
    status, found = await call(
        api.agent, "GET", api.url("/api/v1/service-requests"), params={"q": sr["number"]}
    )
    assert found["total"] == 1
    status, hist = await call(api.agent, "GET", api.url(f"/api/v1/service-requests/{sr['id']}/history"))
    assert [h["action"] for h in hist["items"]] == ["register", "dispatch"]
    status, _ = await call(api.agent, "GET", api.url("/api/v1/service-requests/999999"))
    assert status == 404
    status, _ = await call(api.agent, "GET", api.url("/api/v1/service-requests/abc"))
    assert status == 404


async def test_callbacks_do_not_call_and_kb(api: Api) -> None:
    status, body = await call(
        api.agent, "POST", api.url("/api/v1/do-not-call"), json={"number": "13800138001"}
    )
    assert status == 200 and body["number"] == "+8613800138001"
    status, body = await call(
        api.agent, "POST", api.url("/api/v1/callbacks"), json={"number": "138 0013 8001"}
    )
    assert status == 409 and "do-not-call" in body["detail"]
    status, cb = await call(
        api.agent,
        "POST",
        api.url("/api/v1/callbacks"),
        json={"number": "13800138002", "scheduled_at": "2026-03-03T23:00:00"},
    )
    assert (status, cb["field"]) == (400, "scheduled_at")
    status, article = await call(
        api.agent,
        "POST",
        api.url("/api/v1/kb/articles"),
        json={"question": "Reset router?", "answer": "Hold 10 s"},
    )
    assert status == 201
    status, found = await call(api.agent, "GET", api.url("/api/v1/kb/articles"), params={"q": "router"})
    assert found["total"] == 1 and found["items"][0]["id"] == article["id"]


async def test_openapi_describes_every_route(api: Api) -> None:
    status, doc = await call(api.agent, "GET", api.url("/api/v1/openapi.json"))
    assert status == 200 and doc["openapi"].startswith("3.1")
    for route in ROUTES:
        op = doc["paths"][route.path][route.method.lower()]
        assert op["summary"] and "400" in op["responses"]
        if route.body is not None:
            assert op["requestBody"]["content"]["application/json"]["schema"]["type"] == "object"


GARBAGE: list[Any] = [b"", b"\xff\xfe", b"[]", b"null", b'"x"', b"123", b'{"id": {"$gt": 1}}']
GARBAGE_JSON: list[Any] = [
    {"name": None, "numbers": [1, 2]},
    {"customer_id": "1"},
    {"number": 5},
    {"action": ["x"]},
    {"satisfaction": 1e308},
    {"customer_id": 2**63, "subject": "x", "owner_id": 2**40},
    {"name": "n", "numbers": ["9" * 60], "company": "c" * 5000, "value_segment": "v" * 100},
    {"number": "1" * 64, "question": "q" * 301, "answer": "a", "tags": ["t" * 200, "u" * 200]},
    {"user_id": 2**31 - 1, "article_id": 2**31 - 1, "customer_id": 2**31 - 1, "number": "13800138000"},
]


async def test_garbage_to_every_write_route_never_answers_5xx(api: Api) -> None:
    async with api.admin.post(
        api.url("/api/v1/customers"), json={"name": "c", "numbers": ["13800138000"]}
    ) as resp:
        assert resp.status == 201  # a real object 1, so the garbage also reaches past the "not found" check
    for route in ROUTES:
        if route.method not in ("POST", "PATCH"):
            continue
        for ident in ("1", "4294967296"):
            url = api.url(route.path.replace("{id}", ident).replace("{entity}", "customer"))
            for raw in GARBAGE:
                async with api.admin.request(route.method, url, data=raw) as resp:
                    assert resp.status < 500, (route.path, raw, await resp.text())
            for payload in GARBAGE_JSON:
                async with api.admin.request(route.method, url, json=payload) as resp:
                    assert resp.status < 500, (route.path, payload, await resp.text())
