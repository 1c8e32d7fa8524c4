"""A real headless Chromium (Debian's), driven by Playwright, against the real service."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import need_service
from tests.e2e.conftest import PASSWORD, ami, open_console, pbx, service  # noqa: F401  (shared service fixtures)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    need_service(None if executable else "Chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Remember each phase's report on the test, so fixtures can tell whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
async def page(request: pytest.FixtureRequest, browser, service) -> AsyncIterator[object]:  # noqa: F811
    """A fresh signed-out page; a failing test leaves its screenshot in test-artifacts/."""
    context = await browser.new_context(locale="zh-CN")
    tab = await context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.errors = errors  # tests assert it stays empty: script errors and CSP violations land here
    tab.base = f"http://127.0.0.1:{service.web_port}"
    try:
        yield tab
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"{request.node.name[:120]}.png"
            await tab.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failed test: {shot}")
        await context.close()


async def sign_in_page(page, base: str, login: str, password: str = PASSWORD, lang: str = "") -> None:
    """Sign in through the login form, as a person does; waits until the console is up."""
    await page.goto(f"{base}/login" + (f"?lang={lang}" if lang else ""))
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", password)
    await page.click("form.login button[type=submit]")
    await page.wait_for_url(f"{base}/")
