"""Outbound campaigns in a real Chromium against the real service and the simulated PBX.

An agent works three preview calls in a row from the console (Next -> the customer's card and the
script -> Dial -> the simulated customer answers -> outcome and disposition -> Next; a follow-up
request and a callback made from the calls' cards), and the attempts' outcomes are then read back
through the API. In progressive mode the service dials and the console shows the script as the
answered customer is connected. A supervisor creates a campaign on /campaigns, imports a CSV with a
bad row (reported by line, in the page's language), and watches its progress page."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import select, update

from callcenter.service import Service
from crm_core.admin.models import Team
from crm_core.callbacks.models import Callback
from crm_core.campaigns.models import CampaignAttempt
from crm_core.models import User
from crm_core.tickets.models import ServiceRequest
from pbxsim.pbx import Pbx
from tests.browser.conftest import sign_in_page
from tests.e2e.conftest import PASSWORD
from tests.signin import sign_in

SHOTS = os.environ.get("CRM_SCREENSHOTS")  # a folder to keep screenshots in, for a person to look at
CUSTOMERS = [("王小明", "13800138001"), ("李雷", "13800138002"), ("韩梅梅", "13800138003")]
REFUSED = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
SCRIPT = "您好，我们是客服中心，想了解您对上次服务的意见。"


async def _shot(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _open_window() -> dict[str, Any]:
    """A calling window open now in the customers' zone (+86 numbers: Shanghai), every day."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    start, end = (now - timedelta(hours=2)).strftime("%H:00"), (now + timedelta(hours=3)).strftime("%H:00")
    return {"start": start, "end": end, "days": [1, 2, 3, 4, 5, 6, 7]}


async def _team(service: Service, *logins: str) -> int:
    """Team "sales" with these people in it; the supervisor "sup1" leads it."""
    await service.users.create("sup1", PASSWORD, "张主管", role="supervisor", team="sales")
    async with service.db.write() as s:
        team = Team(name="sales", label="销售组")
        s.add(team)
        await s.execute(update(User).where(User.login.in_(logins)).values(team="sales"))
        await s.flush()
        return team.id


async def _call(http: aiohttp.ClientSession, base: str, method: str, path: str, **kw: Any) -> Any:
    async with http.request(method, base + path, **kw) as resp:
        assert resp.status < 300, (path, resp.status, await resp.text())
        return await resp.json() if resp.status != 204 else None


async def _running_campaign(base: str, team_id: int, mode: str, customers: int) -> int:
    """The supervisor's campaign of the customers of "回访客户", started; its id."""
    body = {"name": "满意度回访", "purpose": "follow_up", "script": SCRIPT, "team_id": team_id, "mode": mode,
            "window": _open_window(), "retry": {"no_answer": 60, "busy": 15, "voicemail": None,
            "wrong_number": None}, "max_attempts": 3}  # fmt: skip
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as sup:
        await sign_in(sup, base, "sup1")
        cid = (await _call(sup, base, "POST", "/api/v1/campaigns", json=body))["id"]
        search = await _call(
            sup, base, "POST", f"/api/v1/campaigns/{cid}/entries/search", json={"q": "回访客户"}
        )
        assert search["added"] == customers
        await _call(sup, base, "POST", f"/api/v1/campaigns/{cid}/start")
    return cid


async def _results(base: str, cid: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The campaign's entries and progress, as its supervisor reads them."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as sup:
        await sign_in(sup, base, "sup1")
        entries = (await _call(sup, base, "GET", f"/api/v1/campaigns/{cid}/entries"))["items"]
        return entries, await _call(sup, base, "GET", f"/api/v1/campaigns/{cid}/progress")


async def _work_from_the_call(page: Any, pop: Any, turn: int) -> None:
    """The console's own work on the call's card: a follow-up request on the first call, a callback on
    the second (both linked to the call, as for any call)."""
    if turn == 0:
        await pop.locator("button.act-request").click()
        await page.keyboard.type("回访跟进：寄送发票")
        await page.keyboard.press("Enter")
        await pop.locator(".open-requests li").filter(has_text="回访跟进").wait_for(timeout=10000)
    elif turn == 1:
        await pop.locator("button.act-callback").click()
        await page.keyboard.press("Enter")  # the number called, as soon as the calling window allows
        await pop.locator(".open-callbacks li").wait_for(timeout=10000)


async def _rows(service: Service, model: Any) -> list[Any]:
    async with service.db.read() as s:
        return list(await s.scalars(select(model).order_by(model.id)))


async def test_an_agent_works_three_preview_calls_in_a_row_from_the_console(
    service: Service, pbx: Pbx, page
) -> None:
    team_id = await _team(service, "agent1001")
    for name, number in CUSTOMERS:
        await service.customers.create(name, [number], company="回访客户")
    cid = await _running_campaign(page.base, team_id, "preview", len(CUSTOMERS))
    await sign_in_page(page, page.base, "agent1001")
    await page.locator("#link-state.up").wait_for(timeout=5000)
    await page.locator(f'#campaign-list li[data-id="{cid}"]').wait_for(timeout=5000)
    work = page.locator("#campaign-work")
    seen: list[str] = []
    for turn in range(3):
        await page.keyboard.press("g")  # Next: the next customer of the campaign
        await work.locator(".cw-dial").wait_for(timeout=10000)
        name = (await work.locator(".cw-name").inner_text()).strip()
        seen.append(name)
        assert SCRIPT in await work.locator(".script-text").inner_text()
        card = page.locator("article.customer-card").filter(has_text=name)
        await card.locator(".name").wait_for(timeout=5000)  # the console's own card of the customer
        await _shot(page, f"campaign-preview-{turn}")
        await work.locator(".cw-dial").click()
        await page.locator('#campaign-work[data-phase="dialing"]').wait_for(timeout=5000)
        pop = page.locator("article.pop").filter(has_text=name).first
        await page.locator("article.pop.answered").first.wait_for(timeout=10000)  # the customer answered
        await pop.locator(".disposition select").wait_for(timeout=10000)
        await page.locator("article.pop.ended").nth(turn).wait_for(timeout=15000)  # and hung up
        await _shot(page, f"campaign-outcome-{turn}")
        await work.locator('.cw-outcome[data-outcome="answered"]').click()
        await work.locator(".cw-saved").wait_for(timeout=5000)
        assert await card.count() == 0  # the preview card went; the call's card stays for its disposition
        await pop.locator(".disposition select").select_option(index=1)
        await pop.locator(".disposition button[type=submit]").click()
        await pop.locator(".disposition .saved").wait_for(timeout=10000)
        await _work_from_the_call(page, pop, turn)
    assert sorted(seen) == sorted(n for n, _ in CUSTOMERS)  # three different customers
    attempts = {a.entry_id: a for a in await _rows(service, CampaignAttempt)}
    [request] = await _rows(service, ServiceRequest)
    [callback] = await _rows(service, Callback)
    records = {a.call_record_id for a in attempts.values()}
    assert None not in records and len(records) == 3  # each attempt became its own call record
    assert {request.call_record_id, callback.call_record_id} <= records  # work made on the calls, linked
    await page.keyboard.press("g")
    await page.locator(".toast").filter(has_text="现在没有可拨打的号码").wait_for(timeout=5000)

    entries, progress = await _results(page.base, cid)
    assert [(e["status"], e["last_outcome"], e["attempts"]) for e in entries] == [("done", "answered", 1)] * 3
    assert (progress["done"], progress["pending"], progress["failed"]) == (3, 0, 0)
    assert sum(h["contacts"] for h in progress["contacts_per_hour"]) == 3
    assert page.errors == []


async def test_a_progressive_campaign_connects_only_an_answered_customer_and_the_console_shows_the_script(
    service: Service, pbx: Pbx, page
) -> None:
    team_id = await _team(service, "agent1001")
    await service.customers.create("王小明", ["13800138001"], company="回访客户")
    await sign_in_page(page, page.base, "agent1001")
    await page.locator("#seat-state.ready").wait_for(timeout=10000)
    cid = await _running_campaign(page.base, team_id, "progressive", 1)
    work = page.locator('#campaign-work[data-phase="connected"]')  # the service dialed; the customer answered
    await work.wait_for(timeout=20000)
    assert "王小明" in await work.locator(".cw-name").inner_text()
    assert SCRIPT in await work.locator(".script-text").inner_text()
    pop = page.locator("article.pop").filter(has_text="王小明")
    await pop.locator(".why").filter(has_text="外呼活动（客户已接听）").wait_for(timeout=10000)
    assert await page.locator("article.customer-card").count() == 0  # the call's card is the one card
    await page.locator("#campaign-panel li.campaign").filter(has_text="满意度回访").wait_for(timeout=5000)
    await _shot(page, "campaign-progressive")
    await work.locator('.cw-outcome[data-outcome="answered"]').click()
    await page.locator("#campaign-work .cw-saved").wait_for(timeout=5000)
    entries, progress = await _results(page.base, cid)
    assert [(e["status"], e["last_outcome"]) for e in entries] == [("done", "answered")]
    assert progress["done"] == 1
    assert page.errors == []


async def test_a_supervisor_creates_a_campaign_imports_a_list_and_watches_its_progress(
    service: Service, pbx: Pbx, page, tmp_path
) -> None:
    await _team(service, "agent1001", "agent1002")
    await sign_in_page(page, page.base, "sup1")
    await page.click("nav a.nav-campaigns")
    form = page.locator("#c-new")
    await form.locator("input[name=name]").fill("新品推广")
    await form.locator("select[name=purpose]").select_option("sales")
    await form.locator("textarea[name=script]").fill("介绍新品")
    await form.locator("input[name=max_attempts]").fill("0")  # refused, beside the field
    await form.locator("button[type=submit]").click()
    await form.locator('[data-field="max_attempts"].invalid').wait_for(timeout=5000)
    await form.locator("input[name=max_attempts]").fill("2")
    await form.locator("button[type=submit]").click()
    await page.wait_for_url(f"{page.base}/campaigns/*")
    await page.locator("#c-name").filter(has_text="新品推广").wait_for(timeout=5000)
    await page.locator("#c-status .c-draft").wait_for(timeout=5000)

    csv = tmp_path / "list.csv"
    csv.write_text("number,name\n13900139001,赵一\nnot-a-number,钱二\n13900139003,孙三\n", encoding="utf-8")
    await page.set_input_files("#b-import input[type=file]", str(csv))
    await page.click("#b-import button[type=submit]")
    error = page.locator("#b-errors tr.b-error")
    await error.wait_for(timeout=5000)
    assert await error.locator("td").all_inner_texts() == ["3", "号码", "不是有效的电话号码"]  # file line 3
    await page.locator("#e-list tbody tr[data-id]").nth(1).wait_for(timeout=5000)  # the two good rows
    await page.locator("#p-total").filter(has_text="2").wait_for(timeout=5000)

    await page.click("#c-start")
    await page.locator("#c-status .c-running").wait_for(timeout=5000)
    assert await page.locator("#p-pending").inner_text() == "2"
    agents = page.locator("#p-agents tr.p-agent")
    await agents.nth(1).wait_for(timeout=10000)  # the team's two agents with their seat states
    assert {t.strip() for t in await agents.locator("td:first-child").all_inner_texts()} == {"李娜", "Tom"}
    assert await page.locator("#p-chart").is_visible()
    await _shot(page, "campaign-progress")
    await page.click("#c-pause")
    await page.locator("#c-status .c-paused").wait_for(timeout=5000)

    await page.click("a.crumbs, .crumbs a")
    row = page.locator("#c-list tr.c-row").filter(has_text="新品推广")
    await row.locator(".c-paused").wait_for(timeout=5000)
    await page.fill("#dnc-add input[name=number]", "13900139003")
    await page.fill("#dnc-add input[name=reason]", "客户要求")
    await page.click("#dnc-add button[type=submit]")
    await page.locator("#dnc-list tr[data-number]").filter(has_text="客户要求").wait_for(timeout=5000)
    await _shot(page, "campaigns-list")
    assert page.errors == [REFUSED]  # the browser logs the refused max_attempts; nothing else went wrong
