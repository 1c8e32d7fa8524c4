"""The wallboard in a real browser: a supervisor watches a queue call reach agent 1001; agents are refused."""

from __future__ import annotations

import asyncio
import os
import time

from callcenter.service import Service
from crm_core.events import AgentStateChanged
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.browser.conftest import sign_in_page
from tests.e2e.conftest import PASSWORD

SHOTS = os.environ.get("CRM_SCREENSHOTS")  # a folder to keep screenshots in, for a person to look at
A1001 = "Local/1001@agents/n"


def _seat(page, agent: str, state: str = ""):
    return page.locator(f'.wb-seat{"." + "st-" + state if state else ""}[data-agent="{agent}"]')


async def test_supervisor_sees_the_seat_ring_then_on_call_with_the_caller_then_wrap_up_and_ready(
    service: Service, pbx: Pbx, page
) -> None:
    await service.users.create("super1", PASSWORD, "王主管", role="supervisor")
    await service.customers.create("王小明", ["010-12345678"], company="北京示例科技")
    await sign_in_page(page, page.base, "super1")
    await page.click("a.nav-wallboard")
    await page.wait_for_url(f"{page.base}/wallboard")
    await page.locator("#wb-link.up").wait_for(timeout=5000)
    await _seat(page, A1001, "ready").wait_for(timeout=5000)
    assert await _seat(page, A1001).locator(".wb-name").inner_text() == "李娜"
    support = page.locator('#wb-queues tr[data-queue="support"]')
    assert await support.locator("td").nth(2).inner_text() == "2"  # ready

    call = asyncio.create_task(
        queue_call(
            pbx,
            "01012345678",
            "WANG XM",
            "support",
            A1001,
            member_name="Agent 1001",
            wait_seconds=1,
            ring_seconds=30,
            talk_seconds=200,
        )
    )
    await _seat(page, A1001, "ringing").wait_for(timeout=5000)
    await _seat(page, A1001, "on_call").wait_for(timeout=5000)
    caller = _seat(page, A1001).locator(".wb-caller")
    assert await caller.inner_text() == "王小明"  # the CRM's customer, not the PBX's caller name
    assert "王小明 010 1234 5678 · support" in await _seat(page, A1001).get_attribute("title")
    assert await support.locator("td").nth(0).inner_text() == "0"  # nobody waiting any more
    assert await support.locator("td").nth(3).inner_text() == "1"  # busy
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/wallboard-on-call.png", full_page=True)

    await call
    await _seat(page, A1001, "wrap_up").wait_for(timeout=5000)
    assert await _seat(page, A1001).locator(".wb-what").inner_text() == "话后处理"
    service.pbx_links["test"].end_wrap_up(A1001)  # what choosing a disposition does
    await _seat(page, A1001, "ready").wait_for(timeout=5000)
    assert page.errors == []  # no script errors and no CSP violations


async def test_filters_narrow_the_seats_and_survive_a_reload(service: Service, page) -> None:
    await service.users.create("admin1", PASSWORD, "Admin", role="admin")
    await service.users.create("agent2001", PASSWORD, "Ana", interface="PJSIP/2001", extension="2001")
    await sign_in_page(page, page.base, "admin1", lang="en")
    await page.goto(f"{page.base}/wallboard")
    await _seat(page, A1001, "ready").wait_for(timeout=5000)
    assert await page.locator(".wb-seat:visible").count() == 3

    await page.select_option("#wb-queue", "support")
    assert await page.locator(".wb-seat:visible").count() == 2  # Ana is in no queue
    await page.fill("#wb-search", "tom")
    assert await page.locator(".wb-seat:visible .wb-name").all_inner_texts() == ["Tom"]
    await page.fill("#wb-search", "")
    await page.reload()
    await _seat(page, A1001, "ready").wait_for(timeout=5000)
    assert await page.locator("#wb-queue").input_value() == "support"
    assert await page.locator(".wb-seat:visible").count() == 2
    assert "Seats shown 2" in await page.locator("#wb-counts").inner_text()
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/wallboard-filtered-en.png", full_page=True)
    assert page.errors == []


async def test_an_agent_who_opens_the_wallboard_sees_the_refusal_page(service: Service, page) -> None:
    await sign_in_page(page, page.base, "agent1001")
    assert await page.locator("a.nav-wallboard").count() == 0  # not offered in the menu either
    response = await page.goto(f"{page.base}/wallboard")
    assert response is not None and response.status == 403
    refused = page.locator("section.refused")
    await refused.wait_for(timeout=5000)
    assert await refused.locator("h1").inner_text() == "无权访问"
    assert await page.locator("#wb-seats").count() == 0
    rows = await service.crm.audit.list(entity="access")
    assert any(r.action == "refused" and r.after["path"] == "/wallboard" for r in rows)


async def test_three_hundred_seats_fit_one_full_hd_screen(service: Service, page) -> None:
    await service.users.create("super1", PASSWORD, "王主管", role="supervisor")
    states = ["ready", "on_call", "paused", "wrap_up", "ringing", "on_hold", "logged_out"]
    now = time.time()
    for n in range(298):  # with agents 1001 and 1002: 300 seats
        state = states[n % len(states)]
        queues = ("support",) if state != "logged_out" else ()
        reason = "lunch" if state == "paused" else ""
        since = now - (n * 37) % 4000
        await service.wallboard.handle(
            AgentStateChanged("test", f"PJSIP/{3000 + n}", state, reason, queues, since)
        )
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await sign_in_page(page, page.base, "super1")
    await page.goto(f"{page.base}/wallboard")
    await page.locator("#wb-link.up").wait_for(timeout=5000)
    assert await page.locator(".wb-seat").count() == 300
    height = await page.evaluate("document.documentElement.scrollHeight")
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/wallboard-300.png")
    assert height <= 1080, f"the board is {height}px tall"
    assert page.errors == []
