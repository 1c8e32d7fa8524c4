"""A real headless Chromium (Debian's), driven by Playwright, against the real service."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest

from tests.conftest import need_service
from tests.e2e.conftest import ami, open_console, pbx, service  # noqa: F401  (shared service fixtures)

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
