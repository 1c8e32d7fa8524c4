"""A working day at the console in a real Chromium: the call pops the card, a complaint is filed from
it with the keyboard and lands on the customer's timeline, the disposition closes wrap-up; a note and a
callback from the pop-up are linked to its call; pause with a reason and back to ready; transfer,
search, click-to-dial and the shortcut overlay."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import aiohttp

from callcenter.service import Service
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.browser.conftest import sign_in_page
from tests.e2e.conftest import eventually
from tests.signin import sign_in

SHOTS = os.environ.get("CRM_SCREENSHOTS")  # a folder to keep screenshots in, for a person to look at


def _call(pbx: Pbx, talk: float) -> asyncio.Task[Any]:
    return asyncio.create_task(
        queue_call(pbx, "01012345678", "王小明", "support", "Local/1001@agents/n", member_name="Agent 1001",
                   wait_seconds=1, ring_seconds=2, talk_seconds=talk)
    )  # fmt: skip


def _sent(ami: AmiServer, action: str) -> list[dict[str, str]]:
    return [a for a in ami.received_actions if a.get("Action") == action]


async def _shot(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


async def test_complaint_from_the_pop_up_with_the_keyboard_lands_on_the_timeline_then_disposition_at_wrap_up(
    service: Service, pbx: Pbx, page
) -> None:
    cid = await service.customers.create("王小明", ["010-12345678"], company="北京示例科技")
    await sign_in_page(page, page.base, "agent1001")
    await page.locator("#link-state.up").wait_for(timeout=5000)
    call = _call(pbx, talk=200)  # ten seconds of real time: the simulator plays 20x faster
    card = page.locator("article.pop")
    await card.locator(".name").wait_for(timeout=5000)
    await page.locator("article.pop.answered").wait_for(timeout=10000)

    await page.keyboard.press("c")  # new complaint on the card of the live call
    form = card.locator("form.form-complaint")
    await form.wait_for()
    await page.keyboard.type("Rude technician")  # the subject has the focus
    await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowDown")  # severity: major -> critical
    await page.keyboard.press("Tab")
    await page.keyboard.type("an apology")
    await page.keyboard.press("Enter")
    item = card.locator(".activity li.complaint")
    await item.wait_for(timeout=10000)
    assert "Rude technician" in await item.inner_text()
    assert await form.count() == 0  # the form closed after saving
    assert "Rude technician" in await card.locator(".open-requests").inner_text()
    await _shot(page, "console-complaint")

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, page.base, "agent1001")
        async with http.get(f"{page.base}/api/v1/customers/{cid}/timeline") as resp:
            items = (await resp.json())["items"]
    [complaint] = [i for i in items if i["kind"] == "complaint"]
    record = await service.calls.get("test", (await card.get_attribute("data-pop-id")).split(":", 1)[1])
    assert record is not None and complaint["data"]["call_record_id"] == record.id  # linked to the call
    request = await service.crm.tickets.get(complaint["ref"])
    assert (request.subject, request.severity) == ("Rude technician", "critical")
    assert request.demand == "an apology"

    await asyncio.wait_for(call, 30)
    await page.locator("#seat-state.wrap_up").wait_for(timeout=10000)
    assert await page.locator("#wrapup-countdown").is_visible()
    await page.keyboard.press("w")
    await page.keyboard.press("ArrowDown")  # the first disposition
    await page.keyboard.press("Enter")
    await card.locator(".disposition .saved").filter(has_text="已解决").wait_for(timeout=10000)
    await page.locator("#seat-state.ready").wait_for(timeout=10000)  # the disposition ended wrap-up
    await _shot(page, "console-disposition")
    assert (await service.calls.get("test", record.call_id)).disposition == "resolved"
    assert page.errors == []  # no script errors and no CSP violations


async def test_a_note_and_a_callback_from_the_pop_up_are_linked_to_the_call_on_the_timeline(
    service: Service, pbx: Pbx, page
) -> None:
    cid = await service.customers.create("王小明", ["010-12345678"])
    await sign_in_page(page, page.base, "agent1001")
    await page.locator("#link-state.up").wait_for(timeout=5000)
    call = _call(pbx, talk=200)
    try:
        card = page.locator("article.pop.answered")
        await card.locator(".name").wait_for(timeout=10000)
        await page.keyboard.press("n")  # a note on the card of the live call
        assert "关联本次通话" in await card.locator("form.form-note h3").inner_text()
        await page.keyboard.type("Wants the invoice re-sent")
        await page.keyboard.press("Control+Enter")
        note = card.locator(".activity li.note.this-call").filter(has_text="Wants the invoice re-sent")
        await note.wait_for(timeout=10000)
        assert "本次通话" in await note.locator(".call-mark").inner_text()
        await page.keyboard.press("b")  # a callback, on the number calling, as soon as allowed
        assert "关联本次通话" in await card.locator("form.form-callback h3").inner_text()
        await page.keyboard.press("Enter")
        await card.locator(".activity li.callback.this-call").wait_for(timeout=10000)
        await _shot(page, "console-linked-note-callback")
        record = await service.calls.get("test", (await card.get_attribute("data-pop-id")).split(":", 1)[1])
    finally:
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, page.base, "agent1001")
        async with http.get(f"{page.base}/api/v1/customers/{cid}/timeline") as resp:
            items = (await resp.json())["items"]
    assert record is not None
    linked = {i["kind"]: i["data"]["call_record_id"] for i in items if i["kind"] in ("note", "callback")}
    assert linked == {"note": record.id, "callback": record.id}  # both linked to the call that popped
    assert page.errors == []


async def test_pause_with_a_reason_from_the_keyboard_then_ready_again(
    service: Service, ami: AmiServer, page
) -> None:
    await sign_in_page(page, page.base, "agent1001")
    await page.locator("#seat-state.ready").wait_for(timeout=10000)
    await page.keyboard.press("p")
    await page.locator("#pause-menu button").first.wait_for()
    await _shot(page, "console-pause-menu")
    await page.keyboard.press("2")  # the second reason: lunch
    seat = page.locator("#seat-state.paused")
    await seat.wait_for(timeout=10000)
    assert await seat.inner_text() == "暂停 · 午餐"
    await page.keyboard.press("r")
    await page.locator("#seat-state.ready").wait_for(timeout=10000)
    pauses = [(a["Paused"], a.get("Reason")) for a in _sent(ami, "QueuePause")]
    assert pauses == [("true", "lunch"), ("false", None)]
    assert page.errors == []


async def test_transfer_search_click_to_dial_and_the_shortcut_overlay(
    service: Service, ami: AmiServer, pbx: Pbx, page
) -> None:
    await service.customers.create("张伟", ["13800138000"], company="示例集团")
    await sign_in_page(page, page.base, "agent1001")
    await page.locator("#link-state.up").wait_for(timeout=5000)

    await page.keyboard.press("?")
    help_rows = page.locator("#help-dialog tr")
    await help_rows.first.wait_for()
    assert await help_rows.count() >= 12
    await _shot(page, "console-help")
    await page.keyboard.press("Escape")

    await page.keyboard.press("/")
    await page.keyboard.type("138 0013 8000")
    await page.keyboard.press("Enter")
    await page.locator("#search-results .open-customer").filter(has_text="张伟").click()
    customer = page.locator("article.customer-card")
    await customer.locator(".name").filter(has_text="张伟").wait_for(timeout=5000)
    await customer.locator("button.dial").first.click()
    await eventually(lambda: _sent(ami, "Originate"), within=5)
    assert _sent(ami, "Originate")[0]["Exten"] == "+8613800138000"

    # A note, a callback and a service request from the card, each in a few keystrokes.
    await customer.click()
    await page.keyboard.press("n")
    await page.keyboard.type("Prefers e-mail")
    await page.keyboard.press("Control+Enter")
    await customer.locator(".activity li.note").filter(has_text="Prefers e-mail").wait_for(timeout=5000)
    await page.keyboard.press("b")
    await page.keyboard.press("Enter")  # the number shown, as soon as the calling window allows
    await customer.locator(".open-callbacks li").wait_for(timeout=5000)
    await page.keyboard.press("s")
    await page.keyboard.type("Invoice copy")
    await page.keyboard.press("Enter")
    await customer.locator(".open-requests li").filter(has_text="Invoice copy").wait_for(timeout=5000)
    await customer.locator("button.close").click()

    call = _call(pbx, talk=200)
    try:
        queued = page.locator("article.pop.answered").filter(has_text="support")  # not the click-to-dial call
        await queued.wait_for(timeout=10000)
        await queued.locator(".why").click()  # the card the keys act on
        await page.keyboard.press("t")
        await page.locator("#transfer-target option").first.wait_for(state="attached")
        await _shot(page, "console-transfer")
        await page.keyboard.press("Enter")  # the first agent, blind
        await eventually(lambda: _sent(ami, "BlindTransfer"), within=5)
        assert _sent(ami, "BlindTransfer")[0]["Exten"] == "1002"
    finally:
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
    assert page.errors == []


async def test_the_console_reconnects_by_itself_and_catches_up_on_a_pop_it_missed(
    service: Service, pbx: Pbx, page
) -> None:
    await service.customers.create("王小明", ["010-12345678"], company="北京示例科技")
    await sign_in_page(page, page.base, "agent1001")
    await page.locator("#link-state.up").wait_for(timeout=5000)
    await service.hub.close_all()  # every console socket drops, as when a proxy restarts
    call = _call(pbx, talk=20)  # rings while the console is away
    try:
        await page.locator("#link-state.down").wait_for(timeout=5000)
        await page.locator("#link-state.up").wait_for(timeout=10000)
        await page.locator("article.pop .name").filter(has_text="王小明").wait_for(timeout=10000)
        assert await page.locator("article.pop").count() == 1
    finally:
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
    assert page.errors == []
