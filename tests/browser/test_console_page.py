"""The console as an agent uses it: sign in through the form, the card pops, then shows the outcome."""

from __future__ import annotations

import asyncio
import os

from callcenter.service import Service
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import PASSWORD

SHOTS = os.environ.get("CRM_SCREENSHOTS")  # a folder to keep screenshots in, for a person to look at


async def test_agent_signs_in_and_sees_the_callers_card_then_the_outcome(
    service: Service, pbx: Pbx, page
) -> None:
    await service.customers.create("王小明", ["010-12345678", "13800138000"], company="北京示例科技")
    base = page.base

    await page.goto(f"{base}/")
    assert page.url.endswith("/login")
    await page.fill("input[name=login]", "agent1001")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form.login button[type=submit]")
    await page.wait_for_selector("#link-state.up", timeout=5000)

    call = asyncio.create_task(
        queue_call(
            pbx,
            "01012345678",
            "王小明",
            "support",
            "Local/1001@agents/n",
            member_name="Agent 1001",
            wait_seconds=1,
            ring_seconds=100,
            talk_seconds=40,
        )
    )
    card = page.locator("article.pop")
    await card.locator(".name").wait_for(timeout=5000)
    assert await card.locator(".name").inner_text() == "王小明"
    assert await card.locator(".company").inner_text() == "北京示例科技"
    assert await card.locator(".state").inner_text() == "来电振铃"
    assert await card.locator("table.recent").count() == 0  # the ringing call is not its own history
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/console-ringing.png", full_page=True)
    await page.locator("article.pop.answered").wait_for(timeout=20000)
    assert await card.locator(".state").inner_text() == "通话中"
    await call
    await page.locator("article.pop.ended").wait_for(timeout=5000)
    assert await card.locator(".state").inner_text() == "通话已结束"
    assert await page.locator("article.pop").count() == 1
    assert page.errors == []  # no script errors and no CSP violations


async def test_console_in_english_and_unknown_caller_card(service: Service, pbx: Pbx, page) -> None:
    await _sign_in(page, f"{page.base}/login?lang=en", "agent1002")
    await queue_call(pbx, "13700000000", "13700000000", "support", "Local/1002@agents/n", member_name="Agent",
                     wait_seconds=1, ring_seconds=1, talk_seconds=1)  # fmt: skip
    card = page.locator("article.pop")
    await card.locator(".customer.new").wait_for(timeout=5000)
    assert await card.locator("h2").inner_text() == "New customer"
    assert await card.locator(".number").inner_text() == "137 0000 0000"
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/console-unknown-en.png", full_page=True)


async def test_shared_number_offers_the_other_customers_and_remembers_the_pick(
    service: Service, pbx: Pbx, page
) -> None:
    await service.customers.create("张伟", ["010-88886666"], company="示例集团")
    li = await service.customers.create("李娜", ["010-88886666"], company="示例集团")
    await _sign_in(page, f"{page.base}/login", "agent1001")
    await queue_call(pbx, "01088886666", "示例集团", "support", "Local/1001@agents/n", member_name="Agent",
                     wait_seconds=1, ring_seconds=2, talk_seconds=2)  # fmt: skip
    card = page.locator("article.pop")
    await card.locator(".name").wait_for(timeout=5000)
    assert await card.locator(".name").inner_text() == "张伟"
    await card.locator(f"button.candidate[data-id='{li}']").click()
    await page.locator("article.pop .name", has_text="李娜").wait_for(timeout=5000)
    assert (await service.customers.card_for_number("+861088886666")).id == li  # next call pops her first


async def _sign_in(page, login_url: str, login: str) -> None:
    """Through the login form, as a person does, until the console's WebSocket is up."""
    await page.goto(login_url)
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form.login button[type=submit]")
    await page.wait_for_selector("#link-state.up", timeout=5000)
