"""The PBX stalls while a call is talking and the caller hangs up meanwhile (extends
tests/e2e/test_faults.py, whose stall happens with no call up): the dead link is found by its
pings, the link comes back when the PBX does, and the call that ended unseen is closed once.

Prints what was lost (must be nothing), the detection and the recovery seconds (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.service import Service
from crm_core.models import CallRecord
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import PASSWORD, make_settings
from tests.faults.conftest import AGENT
from tests.polling import eventually

PING = 0.5


@pytest.fixture
async def service(tmp_path: Path, ami: AmiServer, pbx: Pbx) -> AsyncIterator[Service]:
    """SQLite only: the link's behaviour does not depend on the database."""
    settings = make_settings(tmp_path, ami.port)
    settings = dataclasses.replace(settings, pbx=[dataclasses.replace(settings.pbx[0], ping_seconds=PING)])
    svc = Service(settings)
    await svc.start()
    try:
        await svc.users.create("agent1001", PASSWORD, "李娜", interface=AGENT, extension="1001")
        await eventually(lambda: svc.pbx_links["test"].connected, within=10)
        yield svc
    finally:
        await svc.stop()


async def test_given_pbx_stalls_mid_call_and_caller_hangs_up_then_call_closed_once_after_resume(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, caplog: pytest.LogCaptureFixture
) -> None:
    console = await open_console("agent1001")
    link = service.pbx_links["test"]
    loop = asyncio.get_running_loop()
    call = asyncio.create_task(
        queue_call(pbx, "13912345678", "刘洋", "support", AGENT, member_name="Agent 1001",
                   wait_seconds=1, ring_seconds=1, talk_seconds=60)  # 3 s of talk at 20x
    )  # fmt: skip
    await console.wait_for(lambda m: m.get("state") == "answered", within=10)
    before = link.link.attempts

    stalled = loop.time()
    ami.stall()
    try:
        await eventually(lambda: not link.connected, within=10 * PING)
        detected = loop.time() - stalled
        result = await asyncio.wait_for(call, 10)  # the caller hangs up; nobody hears of it yet
    finally:
        ami.resume()
    resumed = loop.time()
    await eventually(lambda: link.link.attempts > before and link.connected, within=10)
    ended = await console.wait_for(lambda m: m.get("state") == "ended", within=5)
    recovered = loop.time() - resumed
    await eventually(lambda: service.hub.calls == {} and link.tracker.active_calls == 0, within=5)
    await service.bus.drain()

    async with service.db.read() as s:
        rows = await s.scalar(select(func.count()).where(CallRecord.call_id == result.linkedid))
    record = await service.calls.get("test", result.linkedid)
    assert record is not None
    lost = 0 if (record.status, record.outcome) == ("ended", "answered") else 1
    print(
        f"\n[stall mid-call] detected in {detected:.3f} s (ping {PING} s); call closed {recovered:.3f} s "
        f"after resume; records: {rows}; lost: {lost}; pops: {len(console.of_type('pop'))}"
    )
    assert detected <= 3 * PING and rows == 1 and lost == 0
    assert ended["outcome"] == "answered" and len(console.of_type("pop")) == 1
    assert link.seats.state_of(AGENT) in ("ready", "wrap_up")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
