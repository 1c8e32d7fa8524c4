"""/api/v1/admin over HTTP: users, teams, skills, code lists, audit; bad input names the field;
only administrators get in; the three lists every console reads keep their contract."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
import websockets
from yarl import URL

from agent_ui.api_v1.admin import ROUTES
from tests.admin.conftest import PASSWORD, Site, call

A = "/api/v1/admin"


async def _new_user(site: Site, **extra: object) -> dict:
    body = {"login": "wang.wu", "password": "long-enough-pw", "display_name": "王五", **extra}
    status, made = await call(site.admin, "POST", site.url(A + "/users"), json=body)
    assert status == 201, made
    return made


async def test_admin_creates_edits_and_lists_users_and_every_change_is_audited(site: Site) -> None:
    seen: list[str] = []

    async def listener() -> None:
        seen.append("changed")

    site.users.listeners.append(listener)
    made = await _new_user(site, team="north", interface="PJSIP/1002", extension="1002", language="en")
    assert (made["login"], made["team"], made["role"], made["active"]) == ("wang.wu", "north", "agent", True)
    assert "password_hash" not in made and "password" not in made

    status, changed = await call(
        site.admin, "PATCH", site.url(f"{A}/users/{made['id']}"), json={"role": "supervisor", "team": "south"}
    )
    assert status == 200 and (changed["role"], changed["team"]) == ("supervisor", "south")
    assert seen == ["changed", "changed"]  # the console hub and tracker directory hear of both at once

    status, found = await call(site.admin, "GET", site.url(A + "/users"), params={"team": "south"})
    assert status == 200 and [u["login"] for u in found["items"]] == ["wang.wu"] and found["total"] == 1
    status, found = await call(site.admin, "GET", site.url(A + "/users"), params={"q": "王", "limit": 1})
    assert found["total"] == 1 and found["limit"] == 1

    status, trail = await call(
        site.admin, "GET", site.url(A + "/audit"), params={"entity": "user", "entity_id": made["id"]}
    )
    assert status == 200 and [e["action"] for e in trail["items"]] == ["update", "create"]
    assert trail["items"][0]["after"] == {"role": "supervisor", "team": "south"}
    assert trail["items"][0]["user_login"] == "root"
    assert all("password_hash" not in (e["after"] or {}) for e in trail["items"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"password": "long-enough-pw"}, "login"),
        ({"login": "x y", "password": "long-enough-pw"}, "login"),
        ({"login": "ok", "password": "short"}, "password"),
        ({"login": "ok", "password": "long-enough-pw", "role": "boss"}, "role"),
        ({"login": "ok", "password": "long-enough-pw", "team": "nowhere"}, "team"),
        ({"login": "ok", "password": "long-enough-pw", "interface": "not an interface"}, "interface"),
        ({"login": "ok", "password": "long-enough-pw", "interface": "PJSIP/1001"}, "interface"),  # taken
        ({"login": "ok", "password": "long-enough-pw", "language": "fr"}, "language"),
        ({"login": "ok", "password": "long-enough-pw", "display_name": " "}, "display_name"),
        ({"login": "agent", "password": "long-enough-pw"}, "login"),  # taken
        ({"login": "ok", "password": "long-enough-pw", "colour": "red"}, "colour"),
        ({"login": 5, "password": "long-enough-pw"}, "login"),
    ],
)
async def test_bad_user_input_is_a_400_naming_the_field(site: Site, payload: dict, field: str) -> None:
    status, body = await call(site.admin, "POST", site.url(A + "/users"), json=payload)
    assert (status, body.get("field")) == (400, field), body


async def test_not_json_is_a_400_naming_the_body(site: Site) -> None:
    status, body = await call(site.admin, "POST", site.url(A + "/users"), data=b"{nope")
    assert (status, body["field"]) == (400, "body")


async def test_the_last_active_administrator_can_be_neither_demoted_nor_deactivated(site: Site) -> None:
    root = site.people["root"].id
    for change in ({"role": "agent"}, {"active": False}):
        status, body = await call(site.admin, "PATCH", site.url(f"{A}/users/{root}"), json=change)
        assert status == 409 and body["error"] == "error.conflict", body
    status, _ = await call(site.admin, "POST", site.url(f"{A}/users/{root}/deactivate"))
    assert status == 409

    second = await _new_user(site, role="admin")
    status, body = await call(site.admin, "PATCH", site.url(f"{A}/users/{root}"), json={"role": "agent"})
    assert status == 200 and body["role"] == "agent"
    status, _ = await call(site.admin, "GET", site.url(A + "/users"))  # root is no administrator any more
    assert status == 403
    other = await site.client("wang.wu", "long-enough-pw")
    status, _ = await call(other, "PATCH", site.url(f"{A}/users/{second['id']}"), json={"active": False})
    assert status == 409


async def test_deactivation_ends_the_users_sessions_at_once(site: Site) -> None:
    agent = site.people["agent"].id
    status, _ = await call(site.agent, "GET", site.url("/api/me"))
    assert status == 200
    status, body = await call(site.admin, "POST", site.url(f"{A}/users/{agent}/deactivate"))
    assert status == 200 and body["active"] is False
    status, _ = await call(site.agent, "GET", site.url("/api/me"))
    assert status == 401
    async with aiohttp.ClientSession() as fresh:
        payload = {"login": "agent", "password": PASSWORD}
        async with fresh.post(site.url("/api/session"), json=payload) as resp:
            assert resp.status == 401


async def test_deactivation_closes_the_users_open_console_at_once(site: Site) -> None:
    cookie = site.agent.cookie_jar.filter_cookies(URL(site.url("/")))["crm_session"].value
    ws_url = site.url("/ws").replace("http", "ws", 1)
    async with websockets.connect(ws_url, additional_headers={"Cookie": f"crm_session={cookie}"}) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert hello["type"] == "hello"
        path = f"{A}/users/{site.people['agent'].id}/deactivate"
        assert (await call(site.admin, "POST", site.url(path)))[0] == 200
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_password_reset_ends_old_sessions_and_the_new_password_works(site: Site) -> None:
    agent = site.people["agent"].id
    status, body = await call(site.admin, "POST", site.url(f"{A}/users/{agent}/password"), json={})
    assert (status, body["field"]) == (400, "password")
    path = f"{A}/users/{agent}/password"
    status, _ = await call(site.admin, "POST", site.url(path), json={"password": "brand-new-secret"})
    assert status == 200
    assert (await call(site.agent, "GET", site.url("/api/me")))[0] == 401
    again = await site.client("agent", "brand-new-secret")
    assert (await call(again, "GET", site.url("/api/me")))[0] == 200


async def test_teams_skills_and_user_skill_levels(site: Site) -> None:
    status, team = await call(
        site.admin, "POST", site.url(A + "/teams"), json={"name": "east", "label": "东区"}
    )
    assert status == 201 and team["members"] == 0
    status, body = await call(site.admin, "POST", site.url(A + "/teams"), json={"name": "east", "label": "x"})
    assert (status, body["field"]) == (400, "name")
    status, body = await call(
        site.admin, "POST", site.url(A + "/teams"), json={"name": "East!", "label": "x"}
    )
    assert (status, body["field"]) == (400, "name")
    await _new_user(site, team="east")
    status, _ = await call(site.admin, "DELETE", site.url(f"{A}/teams/{team['id']}"))
    assert status == 409  # it has a member
    status, teams = await call(site.admin, "GET", site.url(A + "/teams"))
    assert [(t["name"], t["members"]) for t in teams["items"]] == [("east", 1), ("north", 0), ("south", 0)]

    status, skill = await call(
        site.admin, "POST", site.url(A + "/skills"), json={"name": "billing", "label": "账务"}
    )
    assert status == 201
    agent = site.people["agent"].id
    held = f"{A}/users/{agent}/skills/{skill['id']}"
    status, body = await call(site.admin, "PUT", site.url(held), json={"level": 11})
    assert (status, body["field"]) == (400, "level")
    status, body = await call(site.admin, "PUT", site.url(held), json={"level": 7})
    assert status == 200 and body["level"] == 7
    status, user = await call(site.admin, "GET", site.url(f"{A}/users/{agent}"))
    assert [(s["name"], s["level"]) for s in user["skills"]] == [("billing", 7)]
    status, body = await call(site.admin, "PUT", site.url(f"{A}/users/{agent}/skills/999"), json={"level": 3})
    assert (status, body["field"]) == (400, "skill_id")
    assert (await call(site.admin, "DELETE", site.url(held)))[0] == 200
    assert (await call(site.admin, "DELETE", site.url(held)))[0] == 404
    assert (await call(site.admin, "DELETE", site.url(f"{A}/skills/{skill['id']}")))[0] == 200


async def test_code_lists_are_kept_by_administrators_and_read_by_every_console(site: Site) -> None:
    new = {"code": "callback_promised", "label_zh": "已承诺回电", "label_en": "Callback promised"}
    status, made = await call(site.admin, "POST", site.url(A + "/dispositions"), json=new)
    assert status == 201 and made["active"] is True
    status, body = await call(site.admin, "POST", site.url(A + "/dispositions"), json=new)
    assert (status, body["field"]) == (400, "code")
    status, body = await call(
        site.admin, "POST", site.url(A + "/dispositions"), json={**new, "code": "x", "label_en": ""}
    )
    assert (status, body["field"]) == (400, "label_en")
    reason = {"code": "coaching", "label_zh": "辅导", "label_en": "Coaching", "sort_order": 5}
    status, coaching = await call(site.admin, "POST", site.url(A + "/pause-reasons"), json=reason)
    assert status == 201

    status, zh = await call(site.agent, "GET", site.url("/api/v1/dispositions"), params={"lang": "zh-CN"})
    assert status == 200 and zh == {"items": [{"code": "callback_promised", "label": "已承诺回电"}]}
    status, en = await call(site.agent, "GET", site.url("/api/v1/pause-reasons"), params={"lang": "en"})
    assert en == {"items": [{"code": "coaching", "label": "Coaching"}]}

    path = site.url(f"{A}/pause-reasons/{coaching['id']}")
    status, body = await call(site.admin, "PATCH", path, json={"active": "no"})
    assert (status, body["field"]) == (400, "active")
    status, body = await call(site.admin, "PATCH", path, json={"active": False})
    assert status == 200 and body["active"] is False
    assert (await call(site.agent, "GET", site.url("/api/v1/pause-reasons")))[1] == {"items": []}
    status, every = await call(site.admin, "GET", site.url(A + "/pause-reasons"))
    assert [c["code"] for c in every["items"]] == ["coaching"]


async def test_directory_lists_active_agents_with_a_phone_and_the_queues(site: Site) -> None:
    await _new_user(site, interface="PJSIP/1009", extension="1009", team="north", active=False)
    status, body = await call(site.agent, "GET", site.url("/api/v1/directory"))
    assert status == 200
    agent = site.people["agent"]
    assert body == {
        "agents": [{"id": agent.id, "display_name": "Li Na", "extension": "1001", "team": None}],
        "queues": [],
    }


async def test_audit_search_by_user_and_dates(site: Site) -> None:
    await _new_user(site)
    root = site.people["root"].id
    status, body = await call(site.admin, "GET", site.url(A + "/audit"), params={"user_id": root})
    assert status == 200 and body["total"] >= 1 and {e["user_id"] for e in body["items"]} == {root}
    status, body = await call(site.admin, "GET", site.url(A + "/audit"), params={"until": "2000-01-01"})
    assert body["total"] == 0
    status, body = await call(site.admin, "GET", site.url(A + "/audit"), params={"since": "yesterday"})
    assert (status, body["field"]) == (400, "since")
    params = {"since": "2026-02-01", "until": "2026-01-01"}
    status, body = await call(site.admin, "GET", site.url(A + "/audit"), params=params)
    assert (status, body["field"]) == (400, "until")


def _concrete(path: str) -> str:
    return path.replace("{id}", "1").replace("{skill_id}", "1")


@pytest.mark.parametrize("who", ["agent", "supervisor"])
async def test_agents_and_supervisors_are_refused_every_admin_route(site: Site, who: str) -> None:
    http = getattr(site, who)
    admin_routes = [r for r in ROUTES if r.path.startswith(A)]
    assert len(admin_routes) >= 25 and all(r.roles == ("admin",) for r in admin_routes)
    for route in admin_routes:
        status, body = await call(http, route.method, site.url(_concrete(route.path)), json={})
        assert (status, body["error"]) == (403, "error.forbidden"), route.path
    status, trail = await call(site.admin, "GET", site.url(A + "/audit"), params={"entity": "access"})
    assert trail["total"] == len(admin_routes)  # every refusal is in the audit trail


async def test_anonymous_gets_401_and_every_signed_in_role_reads_the_console_lists(site: Site) -> None:
    for path in ("/api/v1/dispositions", "/api/v1/pause-reasons", "/api/v1/directory"):
        assert (await call(site.anonymous, "GET", site.url(path)))[0] == 401
        for http in (site.agent, site.supervisor, site.admin):
            assert (await call(http, "GET", site.url(path)))[0] == 200
    assert (await call(site.anonymous, "GET", site.url(A + "/users")))[0] == 401


async def test_every_admin_route_is_in_the_openapi_document(site: Site) -> None:
    status, spec = await call(site.agent, "GET", site.url("/api/v1/openapi.json"))
    assert status == 200
    operations = [op["operationId"] for p in spec["paths"].values() for op in p.values()]
    assert len(operations) == len(set(operations))
    for route in ROUTES:
        assert route.method.lower() in spec["paths"][route.path], route.path
