"""The /admin pages over HTTP as a browser uses them: plain forms, POST → redirect → GET, the
message beside the field in either language, administrators only, every list paged."""

from __future__ import annotations

import re

import aiohttp
import pytest

from agent_ui.i18n import translate
from tests.admin.conftest import PASSWORD, Site, call, page

PAGES = [
    "/admin",
    "/admin/users",
    "/admin/users/new",
    "/admin/teams",
    "/admin/skills",
    "/admin/queues",
    "/admin/dispositions",
    "/admin/pause-reasons",
    "/admin/recycle-bin",
    "/admin/audit",
]
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
INLINE = re.compile(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", re.I)


async def _browser(site: Site, login: str = "root", password: str = PASSWORD) -> aiohttp.ClientSession:
    """A client that signs in through the login form and sends only what the pages give it."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    site.clients.append(http)
    status, _body, where = await page(
        http, "POST", site.url("/login"), data={"login": login, "password": password}
    )
    assert (status, where) == (302, "/"), status
    return http


async def _form_post(http: aiohttp.ClientSession, site: Site, form_page: str, action: str, data: dict):
    """GET the page, take the CSRF field from its form, POST the form like a browser."""
    status, body, _ = await page(http, "GET", site.url(form_page))
    assert status == 200, body
    token = CSRF.search(body)
    assert token is not None
    return await page(http, "POST", site.url(action), data={**data, "_csrf": token.group(1)})


def _untranslated(body: str) -> list[str]:
    return re.findall(r"admin\.[a-z_]+\.[a-z_.-]+", body)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_every_admin_page_renders_in_both_languages_without_inline_code(site: Site, lang: str) -> None:
    for path in PAGES:
        status, body, _ = await page(site.admin, "GET", site.url(path), params={"lang": lang})
        assert status == 200, path
        assert f'lang="{lang}"' in body and translate(lang, "admin.title") in body, path
        assert _untranslated(body) == [], path
        assert INLINE.search(body) is None, path  # the CSP allows no inline script or style
    zh = (await page(site.admin, "GET", site.url("/admin/users"), params={"lang": "zh-CN"}))[1]
    assert "新建用户" in zh and "账号" in zh


async def test_agents_and_supervisors_get_the_refusal_page_and_anonymous_the_login(site: Site) -> None:
    for path in PAGES:
        for http in (site.agent, site.supervisor):
            status, body, _ = await page(http, "GET", site.url(path))
            assert status == 403 and "refused" in body, path
        status, _body, where = await page(site.anonymous, "GET", site.url(path))
        assert (status, where) == (302, "/login"), path
    status, _body, _ = await page(
        site.agent, "POST", site.url("/admin/teams"), data={"name": "x", "label": "x"}
    )
    assert status == 403
    status, teams = await call(site.admin, "GET", site.url("/api/v1/admin/teams"))
    assert [t["name"] for t in teams["items"]] == ["north", "south"]


async def test_create_a_user_through_the_form_then_see_them(site: Site) -> None:
    http = await _browser(site)
    form = {"login": "zhao.liu", "password": "long-enough-pw", "display_name": "赵六", "role": "agent"}
    form |= {"team": "north", "interface": "PJSIP/1005", "extension": "1005", "language": "zh-CN"}
    status, _body, where = await _form_post(http, site, "/admin/users/new", "/admin/users/new", form)
    assert status == 303 and re.fullmatch(r"/admin/users/\d+\?notice=created", where), where
    status, body, _ = await page(http, "GET", site.url(where), params={"lang": "en"})
    assert status == 200 and "赵六" in body and "PJSIP/1005" in body and "Created." in body
    user = await site.users.by_login("zhao.liu")
    assert user is not None and user.display_name == "赵六"


@pytest.mark.parametrize(
    ("lang", "message"),
    [("zh-CN", "请使用 1-64 个字母、数字或 . _ @ -"), ("en", "Use 1-64 letters, digits, . _ @ or -")],
)
async def test_a_refused_form_comes_back_400_with_the_message_beside_the_field(
    site: Site, lang: str, message: str
) -> None:
    form = {"login": "not valid", "password": "long-enough-pw", "display_name": "X", "role": "agent"}
    status, body, _ = await page(site.admin, "POST", site.url(f"/admin/users/new?lang={lang}"), data=form)
    assert status == 400
    field = re.search(r'<label class="field invalid">.*?</label>', body, re.S)
    assert field is not None and 'name="login"' in field.group(0) and message in field.group(0)
    assert 'value="not valid"' in body and "long-enough-pw" not in body  # the password is never echoed


async def test_a_form_without_its_csrf_field_is_refused(site: Site) -> None:
    http = await _browser(site)
    status, _body, _ = await page(
        http, "POST", site.url("/admin/teams"), data={"name": "east", "label": "东"}
    )
    assert status == 403
    status, _body, where = await _form_post(
        http, site, "/admin/teams", "/admin/teams", {"name": "east", "label": "东"}
    )
    assert (status, where) == (303, "/admin/teams?notice=created")


async def test_the_last_administrator_form_says_why_it_was_refused(site: Site) -> None:
    root = site.people["root"]
    form = {"display_name": "Root Admin", "role": "agent", "language": "en", "active": "on"}
    status, body, _ = await page(site.admin, "POST", site.url(f"/admin/users/{root.id}?lang=en"), data=form)
    assert status == 409 and translate("en", "admin.error.last_admin") in body
    form = {"display_name": "Root Admin", "role": "admin", "language": "en"}  # active unticked
    status, body, _ = await page(
        site.admin, "POST", site.url(f"/admin/users/{root.id}?lang=zh-CN"), data=form
    )
    assert status == 409 and translate("zh-CN", "admin.error.last_admin") in body


async def _saved(site: Site, path: str, data: dict | None = None) -> str:
    """POST a form that must succeed: 303, and where it sends the browser."""
    status, body, where = await page(site.admin, "POST", site.url(path), data=data or {})
    assert status == 303, body
    return where


async def test_user_page_edits_details_skills_and_queues(site: Site) -> None:
    base = f"/admin/users/{site.people['agent'].id}"
    form = {"display_name": "李娜", "role": "agent", "team": "south", "interface": "PJSIP/1001"}
    form |= {"extension": "1001", "language": "zh-CN", "active": "on"}
    assert await _saved(site, base, form) == base + "?notice=saved"
    skill = {"name": "vip", "label": "VIP 服务"}
    skill_id = (await call(site.admin, "POST", site.url("/api/v1/admin/skills"), json=skill))[1]["id"]
    data = {"skill_id": skill_id, "level": "x"}
    status, body, _ = await page(site.admin, "POST", site.url(base + "/skills?lang=en"), data=data)
    assert status == 400 and "Enter a whole number." in body
    await _saved(site, base + "/skills", {"skill_id": skill_id, "level": "8"})
    where = await _saved(site, base + "/queues", {"queue": "support", "penalty": "2"})
    assert where == base + "?notice=pbx_pending"  # no PBX here: kept for the next change
    status, body, _ = await page(site.admin, "GET", site.url(where + "&lang=en"))
    assert "VIP 服务" in body and "support" in body and "Waiting to be added" in body
    assert translate("en", "admin.notice.pbx_pending") in body and "李娜" in body
    user = await site.users.by_login("agent")
    assert user is not None and user.display_name == "李娜"


async def test_user_page_resets_the_password_and_deactivates(site: Site) -> None:
    agent = site.people["agent"].id
    base = f"/admin/users/{agent}"
    data = {"password": "short"}
    status, body, _ = await page(site.admin, "POST", site.url(base + "/password?lang=zh-CN"), data=data)
    assert status == 400 and translate("zh-CN", "admin.error.password").format(low=8) in body
    assert (
        await _saved(site, base + "/password", {"password": "another-long-one"}) == base + "?notice=password"
    )
    assert (await call(site.agent, "GET", site.url("/api/me")))[0] == 401
    assert await _saved(site, base + "/deactivate") == base + "?notice=deactivated"
    user = await site.users.by_id(agent)
    assert user is not None and not user.active


async def test_teams_list_pages_and_a_team_with_members_is_not_deleted(site: Site) -> None:
    for n in range(30):
        await call(
            site.admin, "POST", site.url("/api/v1/admin/teams"), json={"name": f"t{n:02d}", "label": f"T{n}"}
        )
    first = (await page(site.admin, "GET", site.url("/admin/teams?lang=en")))[1]
    second = (await page(site.admin, "GET", site.url("/admin/teams?lang=en&page=2")))[1]
    assert "32 in all" in first and "Page 1 of 2" in first and 'href="/admin/teams?page=2"' in first
    assert "<code>north</code>" in first and "<code>t22</code>" in first and "<code>t23</code>" not in first
    assert "<code>t23</code>" in second and "<code>t29</code>" in second and "<code>t00</code>" not in second
    teams = (await call(site.admin, "GET", site.url("/api/v1/admin/teams?limit=200")))[1]["items"]
    north = next(t for t in teams if t["name"] == "north")
    await call(
        site.admin, "PATCH", site.url(f"/api/v1/admin/users/{site.people['sup'].id}"), json={"team": "north"}
    )
    status, body, _ = await page(site.admin, "POST", site.url(f"/admin/teams/{north['id']}/delete?lang=en"))
    assert status == 409 and translate("en", "admin.error.team_has_members") in body
    data = {"label": ""}
    status, body, _ = await page(
        site.admin, "POST", site.url(f"/admin/teams/{north['id']}?lang=en"), data=data
    )
    assert status == 400 and "Must not be empty." in body
    data = {"label": "北区"}
    assert (await page(site.admin, "POST", site.url(f"/admin/teams/{north['id']}"), data=data))[0] == 303
    assert "北区" in (await page(site.admin, "GET", site.url(f"/admin/teams/{north['id']}")))[1]
    assert (await page(site.admin, "GET", site.url("/admin/teams/99999")))[0] == 404


async def test_dispositions_are_added_relabelled_and_deactivated_through_forms(site: Site) -> None:
    data = {"code": "sold", "label_zh": "成交", "label_en": "Sold", "sort_order": ""}
    status, _body, where = await page(site.admin, "POST", site.url("/admin/dispositions"), data=data)
    assert (status, where) == (303, "/admin/dispositions?notice=created")
    listed = (await call(site.admin, "GET", site.url("/api/v1/admin/dispositions")))[1]["items"]
    sold = listed[0]["id"]
    data = {"label_zh": "已成交", "label_en": "Sold", "sort_order": "10"}  # active unticked
    assert (await page(site.admin, "POST", site.url(f"/admin/dispositions/{sold}"), data=data))[0] == 303
    assert (await call(site.agent, "GET", site.url("/api/v1/dispositions")))[1] == {"items": []}
    status, body, _ = await page(
        site.admin, "POST", site.url("/admin/pause-reasons?lang=en"), data={"code": "Bad Code"}
    )
    assert status == 400 and translate("en", "admin.error.name") in body


async def test_recycle_bin_restores_and_purges_through_forms(site: Site) -> None:
    ids = []
    for name in ("张三", "李四"):
        status, made = await call(
            site.agent, "POST", site.url("/api/v1/customers"), json={"name": name, "numbers": []}
        )
        assert status == 201, made
        ids.append(made["id"])
        assert (await call(site.agent, "DELETE", site.url(f"/api/v1/customers/{made['id']}")))[0] == 200
    status, body, _ = await page(site.admin, "GET", site.url("/admin/recycle-bin?entity=customer&lang=en"))
    assert status == 200 and "张三" in body and "李四" in body
    path = f"/admin/recycle-bin/customer/{ids[0]}/restore"
    assert (await page(site.admin, "POST", site.url(path)))[2] == "/admin/recycle-bin?notice=restored"
    assert (await call(site.agent, "GET", site.url(f"/api/v1/customers/{ids[0]}")))[0] == 200
    path = f"/admin/recycle-bin/customer/{ids[1]}/purge"
    assert (await page(site.admin, "POST", site.url(path)))[2] == "/admin/recycle-bin?notice=purged"
    body = (await page(site.admin, "GET", site.url("/admin/recycle-bin?lang=en")))[1]
    assert "张三" not in body and "李四" not in body and "The recycle bin is empty." in body
    assert (await page(site.admin, "POST", site.url("/admin/recycle-bin/robot/1/purge")))[0] == 404


async def test_audit_page_filters_by_entity_user_and_dates(site: Site) -> None:
    await call(site.admin, "POST", site.url("/api/v1/admin/teams"), json={"name": "east", "label": "东区"})
    status, body, _ = await page(site.admin, "GET", site.url("/admin/audit?entity=team&user=root&lang=en"))
    assert status == 200 and "東" not in body and "东区" in body and "create" in body
    status, body, _ = await page(site.admin, "GET", site.url("/admin/audit?user=nobody&lang=en"))
    assert status == 400 and "No such user." in body
    status, body, _ = await page(site.admin, "GET", site.url("/admin/audit?since=2026-13-01&lang=en"))
    assert status == 400 and "Enter a date such as 2026-03-01." in body
    status, body, _ = await page(site.admin, "GET", site.url("/admin/audit?until=2001-01-01&lang=en"))
    assert status == 200 and "东区" not in body


async def test_pages_of_missing_objects_are_404_not_500(site: Site) -> None:
    for path in ("/admin/users/99999", "/admin/users/abc", "/admin/teams/99999", "/admin/skills/7"):
        assert (await page(site.admin, "GET", site.url(path)))[0] == 404, path
    for path in ("/admin/dispositions/99999", "/admin/pause-reasons/1", "/admin/queues/99999"):
        assert (await page(site.admin, "GET", site.url(path)))[0] == 404, path
    posts = ["/admin/users/99999", "/admin/users/99999/password", "/admin/users/99999/deactivate"]
    posts += ["/admin/users/99999/skills/1/remove", "/admin/teams/99999", "/admin/teams/99999/delete"]
    posts += ["/admin/queues/99999", "/admin/queues/99999/remove", "/admin/dispositions/99999"]
    for path in posts:
        data = {"password": "long-enough-pw", "label": "x", "penalty": "1", "label_zh": "x", "label_en": "x"}
        assert (await page(site.admin, "POST", site.url(path), data=data))[0] == 404, path
