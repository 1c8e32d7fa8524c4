"""Signing in, pages behind the login, JSON errors that name the field, and the WebSocket gate."""

from __future__ import annotations

import json

import aiohttp
import pytest
import websockets

from agent_ui.csrf import token_for
from agent_ui.i18n import LANGUAGES, catalog, domain_files, read_domain
from callcenter.service import Service
from tests.e2e.conftest import PASSWORD


@pytest.fixture
async def http(service: Service):
    jar = aiohttp.CookieJar(unsafe=True)  # accept cookies from 127.0.0.1
    async with aiohttp.ClientSession(
        base_url=f"http://127.0.0.1:{service.web_port}", cookie_jar=jar
    ) as session:
        yield session


def test_every_message_exists_in_both_languages() -> None:
    keys = [set(catalog(lang)) for lang in LANGUAGES]
    assert keys[0] == keys[1]
    assert all(catalog(lang)[k].strip() for lang in LANGUAGES for k in keys[0])


def test_every_catalog_domain_has_the_same_keys_in_both_languages() -> None:
    domains = [{p.name: set(read_domain(p)) for p in domain_files(lang)} for lang in LANGUAGES]
    assert domains[0].keys() == domains[1].keys()
    assert "messages.po" in domains[0]
    for name, keys in domains[0].items():
        assert keys == domains[1][name], name


async def test_given_no_session_then_console_redirects_to_login_and_api_says_401(http) -> None:
    async with http.get("/", allow_redirects=False) as resp:
        assert resp.status == 302 and resp.headers["Location"] == "/login"
    async with http.get("/api/me") as resp:
        assert resp.status == 401
        assert (await resp.json())["error"] == "error.unauthenticated"


@pytest.mark.parametrize(("lang", "text"), [("zh-CN", "登录"), ("en", "Sign in")])
async def test_login_page_in_both_languages_with_security_headers(http, lang: str, text: str) -> None:
    async with http.get(f"/login?lang={lang}") as resp:
        body = await resp.text()
        assert resp.status == 200 and text in body and f'lang="{lang}"' in body
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.cookies["lang"].value == lang


async def test_given_wrong_password_then_401_page_and_no_session(http) -> None:
    async with http.post("/login?lang=en", data={"login": "agent1001", "password": "nope"}) as resp:
        assert resp.status == 401
        assert "Wrong login or password." in await resp.text()
        assert "crm_session" not in resp.cookies


async def test_given_right_password_then_console_page_and_logout_ends_session(service: Service, http) -> None:
    async with http.post("/login", data={"login": "agent1001", "password": PASSWORD}) as resp:
        assert resp.status == 200 and "console.js" in await resp.text()
    token = next(c.value for c in http.cookie_jar if c.key == "crm_session")
    me = f"http://127.0.0.1:{service.web_port}/api/me"
    async with aiohttp.ClientSession(headers={"Cookie": f"crm_session={token}"}) as copy:
        async with copy.get(me) as resp:
            assert resp.status == 200  # the copied cookie works while the session lives
        async with http.post("/logout", allow_redirects=False) as resp:
            assert resp.status == 403  # no CSRF token: another site's form cannot sign anyone out
        async with copy.get(me) as resp:
            assert resp.status == 200
        form = {"_csrf": token_for(token)}
        async with http.post("/logout", data=form, allow_redirects=False) as resp:
            assert resp.status == 302
        async with copy.get(me) as resp:
            assert resp.status == 401  # the server forgot the session, a copied cookie is dead


@pytest.mark.parametrize(
    ("payload", "field"),
    [("not json", "body"), ("[1]", "body"), ('{"password": "x"}', "login"), ('{"login": "a"}', "password")],
)
async def test_given_bad_session_payload_then_400_naming_the_field(http, payload: str, field: str) -> None:
    headers = {"Content-Type": "application/json", "Accept-Language": "zh-CN"}
    async with http.post("/api/session", data=payload, headers=headers) as resp:
        assert resp.status == 400
        body = await resp.json()
        assert body["field"] == field and body["message"]


async def test_customer_lookup_without_number_is_400_naming_it(http) -> None:
    async with http.post("/api/session", json={"login": "agent1001", "password": PASSWORD}) as resp:
        assert resp.status == 200
    async with http.get("/api/customers/lookup") as resp:
        assert resp.status == 400 and (await resp.json())["field"] == "number"


async def test_websocket_refused_without_session_and_from_a_foreign_origin(service: Service, http) -> None:
    url = f"ws://127.0.0.1:{service.web_port}/ws"
    with pytest.raises(websockets.InvalidStatus) as anonymous:
        await websockets.connect(url)
    assert anonymous.value.response.status_code == 401
    async with http.post("/api/session", json={"login": "agent1001", "password": PASSWORD}) as resp:
        token = resp.cookies["crm_session"].value
    cookie = {"Cookie": f"crm_session={token}"}
    with pytest.raises(websockets.InvalidStatus) as foreign:
        await websockets.connect(url, additional_headers=cookie, origin="http://evil.example")
    assert foreign.value.response.status_code == 403
    async with websockets.connect(
        url, additional_headers=cookie, origin=f"http://127.0.0.1:{service.web_port}"
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
