"""The real service (no PBX) on a real socket, with one signed-in client per role.

Roles: an agent and a supervisor of team A, the same of team B, an administrator, and
anonymous. Objects are made for team A (tests/security/world.py), so team B's people are
"another team" and must never get them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import update

from callcenter.service import Service
from callcenter.settings import (
    CrmSettings,
    DatabaseSettings,
    DemoSettings,
    RecordingsSettings,
    ServerSettings,
    Settings,
)
from crm_core.models import User
from tests.e2e.conftest import PASSWORD, ami, open_console, pbx, service  # noqa: F401  (shared fixtures)
from tests.signin import sign_in

ANON, AGENT_A, AGENT_B, SUP_A, SUP_B, ADMIN = (
    "anonymous", "agent_a", "agent_b", "supervisor_a", "supervisor_b", "admin",
)  # fmt: skip
ROLES = (ANON, AGENT_A, AGENT_B, SUP_A, SUP_B, ADMIN)
PEOPLE = {  # login -> (role, team)
    AGENT_A: ("agent", "A"),
    AGENT_B: ("agent", "B"),
    SUP_A: ("supervisor", "A"),
    SUP_B: ("supervisor", "B"),
    ADMIN: ("admin", None),
    "bystander": ("agent", None),  # shares and dispatches go to them, never to team B
}


@dataclass
class Stack:
    service: Service
    base: str
    clients: dict[str, aiohttp.ClientSession]
    ids: dict[str, int]  # login -> user id
    store: Path

    async def client(self, role: str) -> aiohttp.ClientSession:
        """A new client signed in as role (anonymous: not signed in); the caller closes it."""
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        if role != ANON:
            await sign_in(http, self.base, role)
        return http


def security_settings(tmp_path: Path, url: str = "", **sections: object) -> Settings:
    return Settings(
        server=ServerSettings(port=0),
        database=DatabaseSettings(url=url or f"sqlite+aiosqlite:///{tmp_path / 'crm.sqlite3'}"),
        demo=DemoSettings(enabled="no"),
        crm=CrmSettings(callback_window="00:00-23:59:59"),
        recordings=RecordingsSettings(spool_dir=str(tmp_path / "spool"), store_dir=str(tmp_path / "store")),
        **sections,  # type: ignore[arg-type]
    )


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """On SQLite."""
    async with _stack(tmp_path, "") as built:
        yield built


@pytest.fixture
async def stack_each_db(tmp_path: Path, db_url: str) -> AsyncIterator[Stack]:
    """On SQLite and on PostgreSQL (when reachable): the rules are SQL, both engines run them."""
    async with _stack(tmp_path, db_url) as built:
        yield built


@asynccontextmanager
async def _stack(tmp_path: Path, url: str) -> AsyncIterator[Stack]:
    svc = Service(security_settings(tmp_path, url))
    await svc.start()
    ids: dict[str, int] = {}
    clients: dict[str, aiohttp.ClientSession] = {}
    try:
        for login, (role, team) in PEOPLE.items():
            ids[login] = (await svc.users.create(login, PASSWORD, login, role=role)).id
            async with svc.db.write() as s:
                await s.execute(update(User).where(User.id == ids[login]).values(team=team))
        base = f"http://127.0.0.1:{svc.web_port}"
        stack = Stack(svc, base, clients, ids, Path(svc.settings.recordings.store_dir))
        for role in ROLES:
            clients[role] = await stack.client(role)
        yield stack
    finally:
        for http in clients.values():
            await http.close()
        await svc.stop()
