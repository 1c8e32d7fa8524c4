"""A web app with the recording routes on a real socket, beside the running service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from agent_ui import recordings_api
from agent_ui.app import create_app
from agent_ui.context import UiServices
from callcenter.service import Service
from crm_core.recording.mute import MuteController
from crm_core.recording.service import RecordingService
from recordings.store import RecordingStore
from tests.e2e.conftest import PASSWORD
from tests.signin import sign_in


@dataclass
class RecordingsWeb:
    base: str
    recordings: RecordingService
    mutes: MuteController
    store: RecordingStore

    @asynccontextmanager
    async def client(self, login: str) -> AsyncIterator[aiohttp.ClientSession]:
        """An HTTP client signed in as login."""
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=15)) as http:
            await sign_in(http, self.base, login, PASSWORD)
            yield http


@asynccontextmanager
async def recordings_web(
    service: Service, root: Path, spool: Path, auto_resume: float, confirm_timeout: float = 3
) -> AsyncIterator[RecordingsWeb]:
    store = RecordingStore(root, spool, settle_seconds=0.05)
    recordings = RecordingService(service.db, store, service.bus.publish)
    mutes = MuteController(
        service.db,
        service.pbx_links,
        service.bus.publish,
        auto_resume_seconds=auto_resume,
        confirm_timeout=confirm_timeout,
    )
    ui = UiServices(
        users=service.users, customers=service.customers, sessions=service.sessions, hub=service.hub,
        telephony=service.pbx_links, calls=service.calls, crm=service.crm,  # type: ignore[arg-type]
    )  # fmt: skip
    app = create_app(ui)
    recordings_api.setup(app, recordings.access, mutes)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield RecordingsWeb(f"http://127.0.0.1:{port}", recordings, mutes, store)
    finally:
        await mutes.stop()
        await runner.cleanup()
