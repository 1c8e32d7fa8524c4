"""The wallboard in a real browser while the simulator plays calls: today's figures, alerts, and a
supervisor barging into a live call from the seat menu (the Originate seen by the simulated PBX).

The service runs with a 2-second queue-wait alert so a test can cross it, against the simulated
PBX at real speed (its event times are the wall clock's, as a real Asterisk's are); team A is
agent 1001 and supervisor "sup_a" whose own phone is PJSIP/2001.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from callcenter.service import Service
from callcenter.settings import WallboardSettings
from crm_core.models import User
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.browser.conftest import sign_in_page
from tests.e2e.conftest import AGENTS, PASSWORD, make_settings
from tests.polling import eventually

SHOTS = os.environ.get("CRM_SCREENSHOTS")
A1001 = "Local/1001@agents/n"
SUP_PHONE = "PJSIP/2001"


@pytest.fixture
def pbx(ami: AmiServer) -> Pbx:
    simulated = Pbx(ami, speed=1.0)
    simulated.add_queue("support", "rrmemory")
    simulated.add_members("support", AGENTS)
    return simulated


@pytest.fixture
async def service(tmp_path: Path, ami: AmiServer, pbx: Pbx) -> AsyncIterator[Service]:
    settings = make_settings(tmp_path, ami.port)
    svc = Service(dataclasses.replace(settings, wallboard=WallboardSettings(queue_wait_alert_seconds=2.0)))
    await svc.start()
    try:
        users = svc.users
        await users.create("agent1001", PASSWORD, "李娜", interface=A1001, extension="1001")
        await users.create("agent1002", PASSWORD, "Tom", interface="Local/1002@agents/n", extension="1002")
        await users.create("sup_a", PASSWORD, "王主管", role="supervisor", interface=SUP_PHONE)
        async with svc.db.write() as s:
            await s.execute(update(User).where(User.login.in_(["agent1001", "sup_a"])).values(team="A"))
        await svc.wallboard.refresh_directory()
        await eventually(lambda: svc.pbx_links["test"].connected)
        yield svc
    finally:
        await svc.stop()


def _seat(page, agent: str, state: str = ""):
    return page.locator(f'.wb-seat{".st-" + state if state else ""}[data-agent="{agent}"]')


async def _open_wallboard(page, lang: str = "") -> None:
    await sign_in_page(page, page.base, "sup_a", lang=lang)
    await page.goto(f"{page.base}/wallboard")
    await page.locator("#wb-link.up").wait_for(timeout=5000)
    await _seat(page, A1001, "ready").wait_for(timeout=5000)


def _cell(page, name: str):
    return page.locator(f'#wb-queues tr[data-queue="support"] td.{name}')


async def test_todays_figures_update_while_the_simulator_plays_calls(
    service: Service, pbx: Pbx, page
) -> None:
    await _open_wallboard(page, lang="en")
    answered = asyncio.create_task(
        queue_call(pbx, "01012345678", "WANG", "support", A1001, member_name="Agent 1001",
                   wait_seconds=1, ring_seconds=1, talk_seconds=8)
    )  # fmt: skip
    await _seat(page, A1001, "on_call").wait_for(timeout=5000)
    await queue_call(pbx, "13900139000", "", "support", None, wait_seconds=6)  # gives up after 6 s
    await answered
    await _cell(page, 'wb-offered:text-is("2")').wait_for(timeout=5000)
    assert await _cell(page, "wb-answered").inner_text() == "1"
    assert await _cell(page, "wb-abandoned").inner_text() == "1"
    # in time (1 s <= T = 20 s) 1 / (1 answered + 0 unanswered after T: the abandon came at 6 s) = 100 %
    assert await _cell(page, "wb-sl").inner_text() == "100%"
    assert await page.locator("#wb-queues thead").inner_text() != ""
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/wallboard-today-en.png", full_page=True)
    assert page.errors == []


async def test_a_supervisor_barges_into_a_live_call_from_the_seat_menu(
    service: Service, ami: AmiServer, pbx: Pbx, page
) -> None:
    await _open_wallboard(page)
    call = asyncio.create_task(
        queue_call(pbx, "01012345678", "WANG", "support", A1001, member_name="Agent 1001",
                   wait_seconds=1, ring_seconds=1, talk_seconds=400)
    )  # fmt: skip
    try:
        await _seat(page, A1001, "on_call").wait_for(timeout=5000)
        assert await page.locator('.wb-seat.wb-act[data-agent="Local/1002@agents/n"]').count() == 0  # team B
        await _seat(page, A1001).click()
        menu = page.locator("#wb-menu")
        await menu.wait_for(state="visible", timeout=2000)
        assert await page.locator("#wb-menu-title").inner_text() == "李娜"
        assert await menu.locator('button[data-action="unpause"]').is_disabled()
        await menu.locator('button[data-action="barge"]').click()
        assert "强插 李娜 的通话" in await page.locator("#wb-confirm-text").inner_text()
        originates = [a for a in ami.received_actions if a.get("Action") == "Originate"]
        assert originates == []  # nothing before the confirmation
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/wallboard-barge-confirm.png", full_page=True)
        await page.click("#wb-confirm-yes")
        await page.locator("#wb-menu-result.ok").wait_for(timeout=5000)
        [originate] = [a for a in ami.received_actions if a.get("Action") == "Originate"]
        assert (originate["Channel"], originate["Application"]) == (SUP_PHONE, "ChanSpy")
        assert originate["Data"].startswith("Local/1001@agents-") and originate["Data"].endswith(",qB")
        rows = await service.crm.audit.list(entity="seat")
        assert [(r.action, r.after["mode"]) for r in rows] == [("spy", "barge")]
        await page.click("#wb-menu-close")
        await menu.wait_for(state="hidden", timeout=2000)
        assert page.errors == []
    finally:
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)


async def test_an_alert_appears_when_a_queue_wait_passes_the_threshold_and_goes_when_answered(
    service: Service, pbx: Pbx, page
) -> None:
    await _open_wallboard(page, lang="en")
    assert await page.locator("#wb-alerts").is_hidden()
    call = asyncio.create_task(
        queue_call(pbx, "01012345678", "WANG", "support", A1001, member_name="Agent 1001",
                   wait_seconds=5, ring_seconds=0.5, talk_seconds=1)
    )  # fmt: skip
    item = page.locator('#wb-alerts li[data-key="queue_wait:support"]')
    await item.wait_for(timeout=5000)
    assert "support: a caller has waited over 2 s" in await item.inner_text()
    row = page.locator('#wb-queues tr[data-queue="support"]')
    assert "wb-alert" in (await row.get_attribute("class") or "")
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/wallboard-alert-en.png", full_page=True)
    await _seat(page, A1001, "on_call").wait_for(timeout=10000)
    await item.wait_for(state="detached", timeout=5000)
    await call
    assert page.errors == []
