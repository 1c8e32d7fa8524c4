"""Cross-site request forgery: every state-changing request of a signed-in browser carries the
session's token (header or form field) and, when it says where it comes from, comes from here."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from agent_ui.csrf import token_for
from crm_core.db import Database
from tests.security.web import PASSWORD, App, running_app

NEW_CUSTOMER = {"name": "Wang Fang", "numbers": ["13800138000"]}


async def _signed_in(app: App, login: str = "li.na") -> tuple[aiohttp.ClientSession, str]:
    http = app.client()
    async with http.post(f"{app.base}/api/session", json={"login": login, "password": PASSWORD}) as resp:
        assert resp.status == 200
        return http, (await resp.json())["csrf_token"]


async def _create(app: App, http: aiohttp.ClientSession, **headers: str) -> int:
    async with http.post(f"{app.base}/api/v1/customers", json=NEW_CUSTOMER, headers=headers) as resp:
        return resp.status


@pytest.fixture
async def app(sqlite_db: Database) -> AsyncIterator[App]:
    async with running_app(sqlite_db) as running:
        await running.users.create("li.na", PASSWORD, "Li Na")
        await running.users.create("tom", PASSWORD, "Tom")
        yield running


async def test_given_no_or_a_wrong_token_then_refused_and_audited(app: App) -> None:
    http, token = await _signed_in(app)
    assert await _create(app, http) == 403
    assert await _create(app, http, **{"X-CSRF-Token": "x" + token[1:]}) == 403
    assert await _create(app, http, **{"X-CSRF-Token": ""}) == 403
    assert await _create(app, http, **{"X-CSRF-Token": token}) == 201
    refused = await app.audit("refused")
    assert [r.after["why"] for r in refused] == ["csrf.token"] * 3
    assert {r.after["path"] for r in refused} == {"/api/v1/customers"}


async def test_given_another_sessions_token_then_refused(app: App) -> None:
    mine, _ = await _signed_in(app, "li.na")
    _, theirs = await _signed_in(app, "tom")
    assert await _create(app, mine, **{"X-CSRF-Token": theirs}) == 403


async def test_given_every_unsafe_method_then_the_token_is_required(app: App) -> None:
    http, token = await _signed_in(app)
    async with http.post(
        f"{app.base}/api/v1/customers", json=NEW_CUSTOMER, headers={"X-CSRF-Token": token}
    ) as r:
        customer = (await r.json())["id"]
    url = f"{app.base}/api/v1/customers/{customer}"
    for method, body in (("PATCH", {"region": "north"}), ("DELETE", None)):
        async with http.request(method, url, json=body) as resp:
            assert resp.status == 403, method
        async with http.request(method, url, json=body, headers={"X-CSRF-Token": token}) as resp:
            assert resp.status == 200, method
    async with http.get(f"{app.base}/api/v1/customers") as resp:
        assert resp.status == 200  # reading never needs it


async def test_given_a_plain_form_then_the_hidden_field_carries_the_token(app: App) -> None:
    http, token = await _signed_in(app)
    async with http.post(f"{app.base}/logout", data={}, allow_redirects=False) as resp:
        assert resp.status == 403
    async with http.post(f"{app.base}/logout", data={"_csrf": token}, allow_redirects=False) as resp:
        assert resp.status == 302
    async with http.get(f"{app.base}/api/me") as resp:
        assert resp.status == 401


async def test_the_token_is_the_sessions_and_changes_with_it(app: App) -> None:
    http, first = await _signed_in(app)
    _, second = await _signed_in(app)
    assert first != second
    token = next(c.value for c in http.cookie_jar if c.key == "crm_session")
    assert first == token_for(token)


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://127.0.0.1:1", "http://[::1", "http://a:99999"]
)
async def test_given_a_foreign_origin_then_refused_even_with_the_right_token(app: App, origin: str) -> None:
    http, token = await _signed_in(app)
    assert await _create(app, http, **{"X-CSRF-Token": token, "Origin": origin}) == 403
    (refused,) = await app.audit("refused")
    assert refused.after["why"] == "csrf.origin"


async def test_given_our_own_origin_then_accepted(app: App) -> None:
    http, token = await _signed_in(app)
    assert await _create(app, http, **{"X-CSRF-Token": token, "Origin": app.base}) == 201


async def test_given_another_site_then_it_cannot_sign_anyone_in(app: App) -> None:
    """Login CSRF: a form or text/plain post from another site's page, or any foreign Origin."""
    http = app.client()
    creds = {"login": "li.na", "password": PASSWORD}
    async with http.post(f"{app.base}/api/session", data=creds) as resp:
        assert resp.status == 415
    async with http.post(
        f"{app.base}/api/session", data='{"login":"li.na"}', headers={"Content-Type": "text/plain"}
    ) as resp:
        assert resp.status == 415
    foreign = {"Origin": "https://evil.example"}
    async with http.post(f"{app.base}/login", data=creds, headers=foreign, allow_redirects=False) as resp:
        assert resp.status == 403
    async with http.post(f"{app.base}/api/session", json=creds, headers=foreign) as resp:
        assert resp.status == 403


async def test_given_a_live_session_then_signing_in_again_needs_the_password_not_a_token(app: App) -> None:
    http, _ = await _signed_in(app)
    form = {"login": "li.na", "password": PASSWORD}
    async with http.post(f"{app.base}/login", data=form, allow_redirects=False) as resp:
        assert resp.status == 302  # a second tab's login form, say: a new session replaces the old
