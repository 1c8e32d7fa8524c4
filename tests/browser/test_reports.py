"""Call history and reports in a real browser: a supervisor finds the call the simulator just
played and plays its recording in place; the reports page draws its charts; no script errors."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy import select, update

from callcenter.service import Service
from crm_core.audit.models import AuditEntry
from crm_core.models import CallRecord, User
from crm_core.recording.models import Recording
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.browser.conftest import sign_in_page
from tests.e2e.conftest import PASSWORD
from tests.polling import eventually
from tests.recordings.support import make_wav

SHOTS = os.environ.get("CRM_SCREENSHOTS")  # a folder to keep screenshots in, for a person to look at
A1001 = "Local/1001@agents/n"
LOADED_DURATION = """a => new Promise(ok => a.readyState >= 1 ? ok(a.duration)
  : a.addEventListener("loadedmetadata", () => ok(a.duration)))"""


async def _team(service: Service, team: str, *logins: str) -> None:
    async with service.db.write() as s:
        await s.execute(update(User).where(User.login.in_(logins)).values(team=team))


async def _stored(service: Service, call_id: str) -> bool:
    async with service.db.read() as s:
        status = await s.scalar(select(Recording.status).where(Recording.call_id == call_id))
    return status == "stored"


async def _play_call(service: Service, pbx: Pbx, open_console) -> str:
    """agent1001 takes a queue call from 王小明 while MixMonitor writes its file; the call id."""
    console = await open_console("agent1001")
    call = asyncio.create_task(
        queue_call(pbx, "01012345678", "WANG XM", "support", A1001, member_name="Agent 1001",
                   wait_seconds=1, ring_seconds=2, talk_seconds=60)
    )  # fmt: skip
    pop = await console.wait_for(lambda m: m["type"] == "pop", within=10)
    call_id = str(pop["call"]["call_id"])
    spool = Path(service.settings.recordings.spool_dir)
    await asyncio.to_thread(spool.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(make_wav, spool / f"test-{call_id}.wav", 2.0)  # as MixMonitor leaves it
    await call
    await eventually(lambda: _stored(service, call_id), within=10)
    return call_id


async def test_a_supervisor_finds_the_call_just_played_and_plays_its_recording_in_place(
    service: Service, pbx: Pbx, open_console, page
) -> None:
    await service.users.create("super1", PASSWORD, "王主管", role="supervisor")
    await _team(service, "一组", "super1", "agent1001")
    await service.customers.create("王小明", ["010-12345678"], company="北京示例科技")
    call_id = await _play_call(service, pbx, open_console)
    record = await service.calls.get("test", call_id)
    assert record is not None

    await sign_in_page(page, page.base, "super1")
    await page.click("a.nav-calls")
    await page.wait_for_url(f"{page.base}/calls")
    await page.fill("input[name=number]", "010 1234 5678")
    await page.click("#h-search")
    row = page.locator("#h-calls tbody tr[data-call]")
    await row.first.wait_for(timeout=5000)
    assert await row.count() == 1
    assert await row.first.get_attribute("data-call") == str(record.id)  # the very call just played
    cells = await row.locator("td").all_inner_texts()
    assert cells[1:7] == ["呼入", "010 1234 5678", "王小明", "support", "李娜", "已接听"]
    assert "number=010+1234+5678" in page.url  # the search is in the address: reload, bookmark, share
    assert "number=010+1234+5678" in (await page.locator("#h-export").get_attribute("href") or "")

    await row.locator("button.h-play").click()
    audio = row.locator("audio")
    await audio.wait_for(timeout=5000)
    duration = await audio.evaluate(LOADED_DURATION)
    assert abs(duration - 2.0) < 0.1  # the very file MixMonitor wrote, served by the recordings API
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/calls-playing.png", full_page=True)
    async with service.db.read() as s:
        plays = await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "recording"))
        assert "play" in set(plays)  # the playback is audited
    assert page.errors == []


async def test_a_bad_search_names_the_field_and_an_agent_has_no_history_page(service: Service, page) -> None:
    await service.users.create("super1", PASSWORD, "Sup", role="supervisor")
    await sign_in_page(page, page.base, "super1", lang="en")
    await page.goto(f"{page.base}/calls?min_duration=60&max_duration=30")
    error = page.locator("#h-error")
    await error.wait_for(timeout=5000)
    assert "Talk at most (s)" in await error.inner_text()
    assert await page.locator('.h-field.invalid[data-field="max_duration"]').count() == 1
    assert page.errors == [] or all("400" in e for e in page.errors)  # the browser logs the 400 itself

    await page.context.clear_cookies()
    await sign_in_page(page, page.base, "agent1001")
    assert await page.locator("a.nav-calls").count() == 0
    response = await page.goto(f"{page.base}/calls")
    assert response is not None and response.status == 403


async def test_the_reports_page_draws_todays_call_with_its_definitions_and_settings(
    service: Service, pbx: Pbx, page
) -> None:
    await service.users.create("admin1", PASSWORD, "Admin", role="admin")
    await queue_call(pbx, "13912345678", "", "support", A1001, member_name="Agent 1001",
                     wait_seconds=3, ring_seconds=2, talk_seconds=40)  # fmt: skip
    await eventually(lambda: _ended(service), within=10)

    await sign_in_page(page, page.base, "admin1", lang="en")
    await page.click("a.nav-reports")
    await page.wait_for_url(f"{page.base}/reports")
    await page.locator("body[data-reports-ready]").wait_for(timeout=10000)
    offered = await page.evaluate(
        "() => Chart.getChart('r-volume').data.datasets.map(d => d.data.reduce((a, b) => a + (b || 0), 0))"
    )
    assert offered == [1, 1, 0]  # offered, answered, abandoned over today's hours
    assert await page.locator("#r-kpi tfoot [data-figure=offered]").inner_text() == "1"
    assert await page.locator("#r-kpi tfoot [data-figure=service_level]").inner_text() in ("100%", "0%")
    agent = page.locator("#r-agents tr[data-agent] td", has_text="李娜")
    assert await agent.count() == 1
    definition = page.locator('#r-defs dt[data-figure="service_level"] + dd')
    assert "Service level time T: 20 s" in await definition.inner_text()  # the setting beside the figure
    assert "Asia/Shanghai" in await page.locator("#r-settings").inner_text()
    pixels = await page.evaluate(
        """() => { const c = document.getElementById('r-volume'), d = c.getContext('2d')
             .getImageData(0, 0, c.width, c.height).data; let n = 0;
             for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
    )
    assert pixels > 1000  # something was drawn, not an empty canvas
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/reports-en.png", full_page=True)

    await page.select_option("select[name=by]", "agent")
    await page.locator("#r-kpi thead th", has_text="Agent").wait_for(timeout=5000)
    assert "by=agent" in page.url
    assert "by=agent" in (await page.locator("#r-kpi-csv").get_attribute("href") or "")

    await page.click("a.lang-switch")  # the same page in Chinese: labels, definitions, chart legends
    await page.locator("body[data-reports-ready]").wait_for(timeout=10000)
    legend = await page.evaluate("() => Chart.getChart('r-sl').data.datasets.map(d => d.label)")
    assert legend == ["服务水平", "放弃率"]
    assert "服务水平时限 T: 20 秒" in await page.locator("#r-settings").inner_text()
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/reports-zh.png", full_page=True)
    assert page.errors == []


async def _ended(service: Service) -> bool:
    async with service.db.read() as s:
        return await s.scalar(select(CallRecord.id).where(CallRecord.status == "ended")) is not None
