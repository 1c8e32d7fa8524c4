"""A lightweight real app (no PBX, no composition root) with injected clocks, on a real socket."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp import web
from sqlalchemy import select

from agent_ui import security
from agent_ui.app import create_app
from agent_ui.context import UiServices
from agent_ui.hub import ConsoleHub
from agent_ui.security.throttle import ThrottlePolicy
from crm_core.audit.models import AuditEntry
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.sessions import SessionService
from crm_core.users import UserService

PASSWORD = "pw-for-security-tests"


class Clock:
    """Both clocks the app reads, moved by hand: monotonic seconds (throttle) and UTC (sessions)."""

    def __init__(self) -> None:
        self.seconds = 10_000.0
        self.start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.seconds

    def utc(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds - 10_000.0)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@dataclass
class App:
    base: str
    db: Database
    users: UserService
    sessions: SessionService
    clock: Clock
    clients: list[aiohttp.ClientSession] = field(default_factory=list)

    def client(self, **headers: str) -> aiohttp.ClientSession:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers)
        self.clients.append(http)
        return http

    async def audit(self, action: str) -> list[AuditEntry]:
        async with self.db.read() as s:
            rows = await s.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
            return list(rows)


@asynccontextmanager
async def running_app(
    db: Database,
    policy: ThrottlePolicy | None = None,
    idle: timedelta = timedelta(minutes=30),
    absolute: timedelta = timedelta(hours=8),
    ssl_context: ssl.SSLContext | None = None,
    trusted_proxies: tuple[str, ...] = (),
    session_clock: Callable[[], datetime] | None = None,
    **ui: object,
) -> AsyncIterator[App]:
    clock = Clock()
    users = UserService(db)
    customers = CustomerService(db, "CN")
    sessions = SessionService(db, idle, absolute, clock=session_clock or clock.utc)
    services = UiServices(users, customers, sessions, ConsoleHub(users, customers), {}, **ui)  # type: ignore[arg-type]
    app = create_app(services)
    security.install(app, policy, trusted_proxies, clock=clock.monotonic)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    port = runner.addresses[0][1]
    scheme = "https" if ssl_context else "http"
    running = App(f"{scheme}://127.0.0.1:{port}", db, users, sessions, clock)
    try:
        yield running
    finally:
        for http in running.clients:
            await http.close()
        await runner.cleanup()
