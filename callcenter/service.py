"""Builds every part from Settings, wires them through the bus, and starts and stops them in order.

Start: database (migrated) → services → bus → web server → PBX links (so the
first pop-up already has a console to go to). Stop: PBX links first (no new
events), then the bus is drained so no call record is left unwritten, then the
web server and the database.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from sqlalchemy.engine import make_url

from agent_ui.app import create_app
from agent_ui.context import UiServices
from agent_ui.hub import ConsoleHub
from callcenter.settings import PbxSettings, Settings
from crm_core.bus import EventBus
from crm_core.calls import CallRecordService
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallHoldChanged,
    CallOffered,
    CallQueued,
    CallTransferred,
    OfferWithdrawn,
)
from crm_core.migrate import upgrade
from crm_core.seat_history import SeatHistoryService
from crm_core.sessions import SessionService
from crm_core.users import UserService
from cti.pbx_adapter import PbxAdapter

log = logging.getLogger(__name__)
CALL_EVENTS = (
    CallQueued,
    CallOffered,
    OfferWithdrawn,
    CallAnswered,
    CallTransferred,
    CallHoldChanged,
    CallEnded,
)


def ensure_sqlite_folder(url: str) -> None:
    """A relative SQLite path like var/crm.sqlite3 works on a fresh clone."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class Service:
    """The running product: one per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        ensure_sqlite_folder(settings.database.url)
        self.db = Database(settings.database.url, busy_timeout_ms=settings.database.busy_timeout_ms)
        region = settings.crm.default_region
        self.bus = EventBus()
        self.users = UserService(self.db)
        self.customers = CustomerService(self.db, region)
        self.calls = CallRecordService(self.db, region)
        self.seat_history = SeatHistoryService(self.db)
        self.sessions = SessionService(
            self.db,
            idle_timeout=timedelta(minutes=settings.sessions.idle_minutes),
            absolute_timeout=timedelta(hours=settings.sessions.absolute_hours),
        )
        self.hub = ConsoleHub(self.users, self.customers)
        self.pbx_links: dict[str, PbxAdapter] = {}
        self._runner: web.AppRunner | None = None
        self.web_port = 0

    def add_pbx(self, pbx: PbxSettings) -> PbxAdapter:
        adapter = PbxAdapter(
            pbx.name,
            self.bus.publish,
            host=pbx.host,
            port=pbx.port,
            username=pbx.username,
            secret=pbx.secret,
            backoff_max=pbx.reconnect_max_seconds,
            ping_interval=pbx.ping_seconds,
        )
        self.pbx_links[pbx.name] = adapter
        return adapter

    async def start(self) -> None:
        if self.settings.database.migrate_on_start:
            await upgrade(self.db)
        self.bus.subscribe("call-records", self.calls.handle, *CALL_EVENTS)
        self.bus.subscribe("seat-history", self.seat_history.handle, AgentStateChanged)
        self.bus.subscribe("console-hub", self.hub.handle, *CALL_EVENTS, AgentStateChanged)
        await self.bus.start()
        await self._start_web()
        for pbx in self.settings.pbx:
            self.add_pbx(pbx)
        for adapter in self.pbx_links.values():
            await adapter.start()

    async def _start_web(self) -> None:
        ui = UiServices(
            users=self.users,
            customers=self.customers,
            sessions=self.sessions,
            hub=self.hub,
            telephony=self.pbx_links,  # type: ignore[arg-type]  # PbxAdapter fulfils Telephony
            secure_cookies=self.settings.server.secure_cookies,
        )
        self._runner = web.AppRunner(create_app(ui), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.server.host, self.settings.server.port)
        await site.start()
        self.web_port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for adapter in self.pbx_links.values():
            await adapter.stop()
        await self.bus.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.db.dispose()
