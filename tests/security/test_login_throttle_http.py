"""Login throttling over HTTP, both doors (POST /api/session and the login form), and its audit."""

from __future__ import annotations

import json

from sqlalchemy import select

from agent_ui.security.throttle import ThrottlePolicy
from crm_core.audit.models import AuditEntry
from crm_core.db import Database
from tests.security.web import PASSWORD, App, running_app


async def _api(app: App, login: str, password: str, **headers: str) -> tuple[int, dict, dict]:
    http = app.client(**headers)
    async with http.post(f"{app.base}/api/session", json={"login": login, "password": password}) as resp:
        return resp.status, await resp.json(), dict(resp.headers)


async def _form(app: App, login: str, password: str, lang: str = "en") -> tuple[int, str, dict]:
    http = app.client()
    form = {"login": login, "password": password}
    async with http.post(f"{app.base}/login?lang={lang}", data=form, allow_redirects=False) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def test_given_five_failures_when_right_password_then_429_until_the_window_passes(
    sqlite_db: Database,
) -> None:
    async with running_app(sqlite_db) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        for _ in range(5):
            assert (await _api(app, "li.na", "guess"))[0] == 401
        app.clock.advance(10)
        status, body, headers = await _api(app, "li.na", PASSWORD)  # right, but not even checked
        assert (status, body["error"], body["retry_after"], headers["Retry-After"]) == (
            429, "login.throttled", 50, "50",
        )  # fmt: skip
        assert "50" in body["message"]
        app.clock.advance(49)
        assert (await _api(app, "li.na", PASSWORD))[0] == 429
        app.clock.advance(1)
        assert (await _api(app, "li.na", PASSWORD))[0] == 200


async def test_given_locked_account_then_the_login_form_says_so_in_the_users_language(
    sqlite_db: Database,
) -> None:
    async with running_app(sqlite_db, ThrottlePolicy(per_account=2)) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        assert (await _form(app, "li.na", "guess"))[0] == 401
        assert (await _form(app, "li.na", "guess"))[0] == 401
        status, page, headers = await _form(app, "li.na", PASSWORD, "en")
        assert status == 429 and headers["Retry-After"] == "60"
        assert "Too many failed sign-ins. Try again in 60 seconds." in page
        status, page, _ = await _form(app, "li.na", PASSWORD, "zh-CN")
        assert status == 429 and "登录失败次数过多，请 60 秒后再试。" in page


async def test_given_one_address_guessing_many_accounts_then_the_address_is_locked(
    sqlite_db: Database,
) -> None:
    async with running_app(sqlite_db) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        for n in range(20):
            assert (await _api(app, f"user{n}", "guess"))[0] == 401
        status, body, _ = await _api(app, "li.na", PASSWORD)
        assert status == 429 and body["retry_after"] == 60


async def test_given_a_success_then_the_accounts_failures_are_forgotten(sqlite_db: Database) -> None:
    async with running_app(sqlite_db) as app:
        await app.users.create("li.na", PASSWORD, "Li Na")
        for _ in range(4):
            assert (await _api(app, "li.na", "typo"))[0] == 401
        assert (await _api(app, "li.na", PASSWORD))[0] == 200
        for _ in range(5):
            assert (await _api(app, "li.na", "typo"))[0] == 401  # five more before the lock
        assert (await _api(app, "li.na", PASSWORD))[0] == 429


async def test_logins_failures_and_logouts_are_audited_without_the_password(sqlite_db: Database) -> None:
    async with running_app(sqlite_db, ThrottlePolicy(per_account=2)) as app:
        user = await app.users.create("li.na", PASSWORD, "Li Na")
        assert (await _api(app, "li.na", "hunter2-wrong"))[0] == 401
        assert (await _api(app, "nobody-" + "x" * 100, "hunter2-wrong"))[0] == 401
        assert (await _api(app, "li.na", "hunter2-wrong"))[0] == 401  # fills the account's counter
        http = app.client()
        async with http.post(f"{app.base}/api/session", json={"login": "li.na", "password": PASSWORD}) as r:
            assert r.status == 429  # locked
        app.clock.advance(60)
        async with http.post(f"{app.base}/api/session", json={"login": "li.na", "password": PASSWORD}) as r:
            token = (await r.json())["csrf_token"]
        async with http.post(
            f"{app.base}/logout", headers={"X-CSRF-Token": token}, allow_redirects=False
        ) as r:
            assert r.status == 302

        failed = await app.audit("login_failed")
        who = [(e.entity, e.entity_id, e.user_id) for e in failed]
        assert who == [("user", user.id, None), ("user", 0, None), ("user", user.id, None)]
        assert failed[0].after == {"remote": "127.0.0.1", "login": "li.na", "via": "api", "locks": False}
        assert failed[1].after["login"] == "nobody-" + "x" * 57  # cut to 64 characters
        assert failed[2].after["locks"] is True  # this failure locked the account
        (login,) = await app.audit("login")
        assert (login.entity_id, login.user_id, login.after) == (
            user.id,
            user.id,
            {"remote": "127.0.0.1", "via": "api"},
        )
        (logout,) = await app.audit("logout")
        assert (logout.entity_id, logout.user_id) == (user.id, user.id)
        async with sqlite_db.read() as s:
            everything = json.dumps([[e.before, e.after] for e in await s.scalars(select(AuditEntry))])
        assert "hunter2" not in everything and PASSWORD not in everything


async def test_given_a_trusted_proxy_then_the_forwarded_client_is_throttled_and_audited(
    sqlite_db: Database,
) -> None:
    async with running_app(sqlite_db, ThrottlePolicy(per_address=2), trusted_proxies=("127.0.0.1",)) as app:
        proxied = {"X-Forwarded-For": "198.51.100.7, 203.0.113.5"}  # the proxy appended the last one
        for n in range(2):
            assert (await _api(app, f"user{n}", "guess", **proxied))[0] == 401
        assert (await _api(app, "user9", "guess", **proxied))[0] == 429
        other = {"X-Forwarded-For": "203.0.113.6"}
        assert (await _api(app, "user9", "guess", **other))[0] == 401  # another client behind the proxy
        assert [e.after["remote"] for e in await app.audit("login_failed")] == ["203.0.113.5"] * 2 + [
            "203.0.113.6"
        ]


async def test_given_no_trusted_proxy_then_a_forged_forwarded_for_changes_nothing(
    sqlite_db: Database,
) -> None:
    async with running_app(sqlite_db, ThrottlePolicy(per_address=2)) as app:
        for n in range(2):
            forged = {"X-Forwarded-For": f"192.0.2.{n}"}
            assert (await _api(app, f"user{n}", "guess", **forged))[0] == 401
        assert (await _api(app, "user9", "guess", **{"X-Forwarded-For": "192.0.2.99"}))[0] == 429
        assert {e.after["remote"] for e in await app.audit("login_failed")} == {"127.0.0.1"}
