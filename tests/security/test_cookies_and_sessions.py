"""Session cookies (HttpOnly, SameSite, Secure over TLS), a new session at each sign-in, and the
idle and absolute time-outs, with short settings and a clock the test moves."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from crm_core.db import Database
from tests.security.web import PASSWORD, App, running_app


async def _sign_in(app: App, http: aiohttp.ClientSession, **kwargs: object) -> tuple[list[str], str]:
    body = {"login": "li.na", "password": PASSWORD}
    async with http.post(f"{app.base}/api/session?lang=en", json=body, **kwargs) as resp:  # type: ignore[arg-type]
        assert resp.status == 200, await resp.text()
        return resp.headers.getall("Set-Cookie"), (await resp.json())["csrf_token"]


def _cookie(headers: list[str], name: str) -> set[str]:
    """The attributes of one Set-Cookie line, lower-cased: "httponly", "samesite=strict", ..."""
    line = next(h for h in headers if h.startswith(name + "="))
    return {part.strip().lower() for part in line.split(";")[1:]}


async def _me(app: App, http: aiohttp.ClientSession) -> int:
    async with http.get(f"{app.base}/api/me") as resp:
        return resp.status


async def test_given_plain_http_then_session_cookie_is_httponly_strict_and_not_secure(
    sqlite_db: Database,
) -> None:
    async with running_app(sqlite_db) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        headers, _ = await _sign_in(app, app.client())
        attrs = _cookie(headers, "crm_session")
        assert {"httponly", "samesite=strict", "path=/"} <= attrs
        assert "secure" not in attrs


@pytest.mark.parametrize(
    "ui",
    [{"secure_cookies": True}, {"public_origin": "https://crm.example.com"}],
    ids=["configured", "proxy"],
)
async def test_given_tls_by_configuration_then_cookies_are_secure(sqlite_db: Database, ui: dict) -> None:
    async with running_app(sqlite_db, **ui) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        headers, _ = await _sign_in(app, app.client())
        assert "secure" in _cookie(headers, "crm_session")
        assert "secure" in _cookie(headers, "lang")  # ?lang= set the language cookie too


def _self_signed(folder: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_given_the_app_served_over_tls_then_cookies_are_secure(
    sqlite_db: Database, tmp_path: Path
) -> None:
    async with running_app(sqlite_db, ssl_context=_self_signed(tmp_path)) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        headers, _ = await _sign_in(app, app.client(), ssl=False)  # self-signed: not verified
        assert {"secure", "httponly", "samesite=strict"} <= _cookie(headers, "crm_session")


async def test_given_a_new_sign_in_then_the_old_session_and_its_csrf_token_are_dead(
    sqlite_db: Database,
) -> None:
    async with running_app(sqlite_db) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        http = app.client()
        await _sign_in(app, http)
        old = http.cookie_jar.filter_cookies(URL(app.base))["crm_session"].value  # type: ignore[arg-type]
        await _sign_in(app, http)  # the browser sends its old cookie: it is closed, a new one made
        new = http.cookie_jar.filter_cookies(URL(app.base))["crm_session"].value  # type: ignore[arg-type]
        assert new != old
        stale = app.client(Cookie=f"crm_session={old}")
        assert await _me(app, stale) == 401


async def test_given_idle_longer_than_the_idle_timeout_then_signed_out(sqlite_db: Database) -> None:
    async with running_app(sqlite_db, idle=timedelta(minutes=10)) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        http = app.client()
        await _sign_in(app, http)
        for _ in range(6):  # an hour of activity every nine minutes keeps it alive
            app.clock.advance(9 * 60)
            assert await _me(app, http) == 200
        app.clock.advance(10 * 60 + 1)
        assert await _me(app, http) == 401
        assert await _me(app, http) == 401  # and it is gone for good, not just this once


async def test_given_activity_when_the_absolute_timeout_passes_then_signed_out(sqlite_db: Database) -> None:
    async with running_app(sqlite_db, idle=timedelta(minutes=10), absolute=timedelta(minutes=30)) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        http = app.client()
        await _sign_in(app, http)
        for _ in range(5):
            app.clock.advance(5 * 60)
            assert await _me(app, http) == 200  # 25 minutes, active all along
        app.clock.advance(5 * 60 + 1)
        assert await _me(app, http) == 401


async def test_given_real_short_timeouts_then_an_idle_session_ends(sqlite_db: Database) -> None:
    """The same with the wall clock: a one-second idle time-out, no clock injected."""
    from datetime import UTC, datetime

    async with running_app(
        sqlite_db, idle=timedelta(seconds=1), session_clock=lambda: datetime.now(UTC)
    ) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        http = app.client()
        await _sign_in(app, http)
        for _ in range(3):
            await asyncio.sleep(0.4)
            assert await _me(app, http) == 200  # activity keeps touching the session
        await asyncio.sleep(1.3)
        assert await _me(app, http) == 401


async def test_given_sign_out_then_the_cookie_is_cleared_with_the_same_attributes(
    sqlite_db: Database,
) -> None:
    async with running_app(sqlite_db, secure_cookies=True) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        headers, token = await _sign_in(app, app.client())
        session = next(h for h in headers if h.startswith("crm_session=")).split(";")[0]
        http = app.client(Cookie=session)  # a Secure cookie: the jar would not send it over http
        async with http.post(
            f"{app.base}/logout", headers={"X-CSRF-Token": token}, allow_redirects=False
        ) as r:
            assert r.status == 302
            attrs = _cookie(r.headers.getall("Set-Cookie"), "crm_session")
        assert {"httponly", "secure", "samesite=strict", "path=/"} <= attrs
        assert "max-age=0" in attrs
        assert await _me(app, http) == 401
