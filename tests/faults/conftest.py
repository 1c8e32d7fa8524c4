"""The fault suite's service: the real product over each real database, with a short busy time-out.

A lock held past `BUSY_MS` is what the tests inject; the simulated Asterisk (`ami`, `pbx`) and
the console clients are the e2e suite's own fixtures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.service import Service
from callcenter.settings import Settings
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.e2e.conftest import PASSWORD, ami, make_settings, open_console, pbx  # noqa: F401  (shared fixtures)
from tests.polling import eventually

BUSY_MS = 300  # a writer gives up on a held lock after this long (then 503 / retry)
AGENT = "Local/1001@agents/n"


def fault_settings(tmp_path: Path, ami_port: int, db_url: str) -> Settings:
    settings = make_settings(tmp_path, ami_port)
    database = dataclasses.replace(settings.database, url=db_url, busy_timeout_ms=BUSY_MS)
    return dataclasses.replace(settings, database=database)


async def started(settings: Settings) -> Service:
    """A started service whose PBX link is up."""
    svc = Service(settings)
    await svc.start()
    await eventually(lambda: svc.pbx_links["test"].connected, within=10)
    return svc


@pytest.fixture
async def service(tmp_path: Path, ami: AmiServer, pbx: Pbx, db_url: str) -> AsyncIterator[Service]:  # noqa: F811
    """The product on SQLite and on PostgreSQL, agent1001 (Local/1001) and admin signed up."""
    svc = Service(fault_settings(tmp_path, ami.port, db_url))
    await svc.start()
    try:
        await svc.users.create("agent1001", PASSWORD, "李娜", interface=AGENT, extension="1001")
        await svc.users.create("boss", PASSWORD, "Boss", role="admin")
        await eventually(lambda: svc.pbx_links["test"].connected, within=10)
        yield svc
    finally:
        await svc.stop()
