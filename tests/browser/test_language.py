"""Switching language changes every word of the page, and the choice follows the user."""

from __future__ import annotations

from callcenter.service import Service
from tests.browser.conftest import sign_in_page


async def test_switching_language_changes_the_page_and_is_remembered_on_the_account(
    service: Service, browser, page
) -> None:
    await sign_in_page(page, page.base, "agent1001")
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    assert await page.locator(".nav-console").inner_text() == "工作台"
    assert await page.title() == "坐席工作台 · 呼叫中心 CRM"

    await page.click("a.lang-switch")
    await page.wait_for_function("document.documentElement.lang === 'en'")
    assert await page.locator(".nav-console").inner_text() == "Console"
    assert await page.title() == "Agent console · Call Center CRM"
    assert await page.locator("form.inline button").inner_text() == "Sign out"
    await page.reload()
    assert await page.locator("html").get_attribute("lang") == "en"  # this browser remembers

    # Another browser with no choice of its own, and a Chinese Accept-Language: the account's choice wins.
    other = await browser.new_context(locale="zh-CN")
    try:
        tab = await other.new_page()
        await sign_in_page(tab, page.base, "agent1001")
        assert await tab.locator("html").get_attribute("lang") == "en"
        assert await tab.locator(".nav-console").inner_text() == "Console"
        assert (await service.users.by_login("agent1001")).language == "en"
    finally:
        await other.close()
    assert page.errors == []
