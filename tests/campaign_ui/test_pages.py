"""The campaign pages over a real socket, in both languages: supervisors and administrators get
the frames (a supervisor may give a campaign only to their own team), agents are refused, the
console carries the campaign panel and its shortcut, and the wallboard links to the progress.
One service per database for all of it: starting one is what costs."""

from __future__ import annotations

import re

from crm_core.admin.models import Team
from tests.security.conftest import ADMIN, AGENT_A, ANON, SUP_A, Stack

LANGS = ("zh-CN", "en")
TEXT = {  # what each language shows, by what it is
    "title": {"zh-CN": "<h1>外呼活动</h1>", "en": "<h1>Outbound campaigns</h1>"},
    "dnc": {"zh-CN": "禁止呼叫名单", "en": "Do-not-call list"},
    "per_hour": {"zh-CN": "每小时接通的客户", "en": "Contacts reached per hour"},
    "wallboard": {"zh-CN": "外呼活动进度", "en": "Campaign progress"},
}


async def _teams(built: Stack) -> dict[str, int]:
    """Rows for the people's teams "A" and "B" (users.team names them; campaigns point at the row)."""
    async with built.service.db.write() as s:
        rows = [Team(name=name, label=f"Team {name}") for name in ("A", "B")]
        s.add_all(rows)
        await s.flush()
        return {row.name: row.id for row in rows}


def _team_options(html: str) -> set[str]:
    select = re.search(r'<select name="team_id">(.*?)</select>', html, re.S)
    assert select is not None
    return set(re.findall(r'<option value="(\d+)"', select.group(1)))


async def _get(built: Stack, role: str, path: str) -> str:
    async with built.clients[role].get(built.base + path, allow_redirects=False) as resp:
        assert resp.status == 200, (role, path, resp.status)
        return await resp.text()


async def _status(built: Stack, role: str, path: str) -> int:
    async with built.clients[role].get(built.base + path, allow_redirects=False) as resp:
        return resp.status


async def test_the_campaign_pages_in_both_languages_for_supervisors_and_administrators_only(
    stack_each_db: Stack,
) -> None:
    built, ids = stack_each_db, await _teams(stack_each_db)
    for lang in LANGS:
        for role, teams in ((SUP_A, {ids["A"]}), (ADMIN, {ids["A"], ids["B"]})):
            html = await _get(built, role, f"/campaigns?lang={lang}")
            assert TEXT["title"][lang] in html and TEXT["dnc"][lang] in html
            assert _team_options(html) == {str(i) for i in teams}  # a supervisor: their own team only
            assert '<script src="/static/campaigns.js" defer></script>' in html
            assert "style=" not in html and "<script>" not in html  # CSP: no inline script or style

        detail = await _get(built, SUP_A, f"/campaigns/7?lang={lang}")  # a frame: the API fills it
        assert '"campaign_id": 7' in detail and TEXT["per_hour"][lang] in detail
        assert "/static/vendor/chart.umd.min.js" in detail and "/static/campaign-progress.js" in detail

        console = await _get(built, AGENT_A, f"/?lang={lang}")
        assert 'id="campaign-panel"' in console and 'id="campaign-work"' in console
        assert "/static/console-campaign.js" in console and "console.keys.campaign_next" in console
        wallboard = await _get(built, SUP_A, f"/wallboard?lang={lang}")
        assert 'href="/campaigns"' in wallboard and TEXT["wallboard"][lang] in wallboard

    for path in ("/campaigns", "/campaigns/1"):
        assert await _status(built, AGENT_A, path) == 403
        assert await _status(built, ANON, path) == 302  # to the sign-in page
    assert await _status(built, SUP_A, "/campaigns/abc") == 404
