"""The contract tests' service: the real product, its PBX up (the simulator), people of every role
in team A, and team A's objects (tests/security/world.py) so that generated ids find something."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from callcenter.service import Service
from crm_core.models import User
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.e2e.conftest import PASSWORD, ami, make_settings, pbx  # noqa: F401  (shared fixtures)
from tests.polling import eventually
from tests.security.world import build_world

ROLES = {"agent_a": "agent", "supervisor_a": "supervisor", "admin": "admin"}


@pytest.fixture
async def service(tmp_path: Path, ami: AmiServer, pbx: Pbx, db_url: str) -> AsyncIterator[Service]:  # noqa: F811
    """On SQLite and PostgreSQL: agent_a and supervisor_a of team A, an administrator, two worlds."""
    settings = make_settings(tmp_path, ami.port)
    svc = Service(dataclasses.replace(settings, database=dataclasses.replace(settings.database, url=db_url)))
    await svc.start()
    try:
        ids = {}
        for login, role in [*ROLES.items(), ("bystander", "agent")]:
            interface = "Local/1001@agents/n" if login == "agent_a" else None
            ids[login] = (await svc.users.create(login, PASSWORD, login, role=role, interface=interface)).id
            async with svc.db.write() as s:
                team = None if role == "admin" or login == "bystander" else "A"
                await s.execute(update(User).where(User.id == ids[login]).values(team=team))
        store = Path(svc.settings.recordings.store_dir)
        for _ in range(2):
            await build_world(svc.db, store, ids["agent_a"], ids["bystander"])
        await eventually(lambda: svc.pbx_links["test"].connected, within=10)
        yield svc
    finally:
        await svc.stop()
