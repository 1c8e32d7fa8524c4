"""End-to-end fixtures: the simulated Asterisk, the real service on real sockets, and console clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets

from callcenter.service import Service
from callcenter.settings import (
    CrmSettings,
    DatabaseSettings,
    DemoSettings,
    PbxSettings,
    RecordingsSettings,
    ServerSettings,
    Settings,
)
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.polling import eventually

AMI_SECRET = "test-secret"
PASSWORD = "pw-for-tests"
SPEED = 20.0  # scenario seconds play 20x faster; event Timestamps keep nominal time


@dataclass
class Console:
    """An agent's console: a real WebSocket client logged in over HTTP."""

    ws: Any
    messages: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        async for raw in self.ws:
            self.messages.append(json.loads(raw))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], within: float = 5.0) -> dict:
        await eventually(lambda: any(predicate(m) for m in self.messages), within)
        return next(m for m in self.messages if predicate(m))


def make_settings(tmp_path: Path, ami_port: int, secret: str = AMI_SECRET) -> Settings:
    return Settings(
        server=ServerSettings(port=0),
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'crm.sqlite3'}"),
        demo=DemoSettings(enabled="no"),
        crm=CrmSettings(callback_window="00:00-23:59:59"),  # tests must not depend on the hour they run
        recordings=RecordingsSettings(spool_dir=str(tmp_path / "spool"), store_dir=str(tmp_path / "store")),
        pbx=[
            PbxSettings(
                name="test", port=ami_port, secret=secret, reconnect_max_seconds=1.0, ping_seconds=2.0
            )
        ],
    )


@pytest.fixture
async def ami() -> AsyncIterator[AmiServer]:
    server = AmiServer("crm", AMI_SECRET, timestampevents=True, channelvars=["IVR_CHOICE", "CRM_CALLID"])
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


AGENTS = [("Local/1001@agents/n", "Agent 1001"), ("Local/1002@agents/n", "Agent 1002")]


@pytest.fixture
def pbx(ami: AmiServer) -> Pbx:
    """The simulated PBX with queue "support" and its two members, configured before the CRM connects."""
    simulated = Pbx(ami, speed=SPEED)
    simulated.add_queue("support", "rrmemory")
    simulated.add_members("support", AGENTS)
    return simulated


@pytest.fixture
async def service(tmp_path: Path, ami: AmiServer, pbx: Pbx) -> AsyncIterator[Service]:
    svc = Service(make_settings(tmp_path, ami.port))
    await svc.start()
    try:
        await svc.users.create(
            "agent1001", PASSWORD, "李娜", interface="Local/1001@agents/n", extension="1001"
        )
        await svc.users.create(
            "agent1002", PASSWORD, "Tom", interface="Local/1002@agents/n", extension="1002"
        )
        await eventually(lambda: svc.pbx_links["test"].connected)
        yield svc
    finally:
        await svc.stop()


@pytest.fixture
async def replayer() -> AsyncIterator[AmiServer]:
    """A bare simulated AMI server that plays back recorded traffic (timestamps on, as recorded)."""
    server = AmiServer("crm", AMI_SECRET, timestampevents=True)
    await server.start()
    yield server
    await server.stop()


async def connect_console(http: aiohttp.ClientSession, port: int, login: str) -> Console:
    """Sign in over HTTP as login, open the console WebSocket on port, wait for its hello."""
    base = f"http://127.0.0.1:{port}"
    async with http.post(f"{base}/api/session", json={"login": login, "password": PASSWORD}) as resp:
        assert resp.status == 200, await resp.text()
        token = resp.cookies["crm_session"].value
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws", additional_headers={"Cookie": f"crm_session={token}"}
    )
    console = Console(ws)
    console.reader = asyncio.create_task(console._read())
    await console.wait_for(lambda m: m["type"] == "hello")
    return console


@pytest.fixture
async def open_console(service: Service) -> AsyncIterator[Callable[[str], Awaitable[Console]]]:
    consoles: list[Console] = []
    sessions: list[aiohttp.ClientSession] = []

    async def open_(login: str) -> Console:
        http = aiohttp.ClientSession()
        sessions.append(http)
        console = await connect_console(http, service.web_port, login)
        consoles.append(console)
        return console

    yield open_
    for console in consoles:
        await console.ws.close()
        if console.reader is not None:
            await asyncio.gather(console.reader, return_exceptions=True)
    for http in sessions:
        await http.close()
