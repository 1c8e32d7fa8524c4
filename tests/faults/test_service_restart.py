"""The CRM service itself restarted while a call is up: the PBX keeps the call, a new service on
the same database rebuilds it from the PBX (resync) and completes its record, once.

Prints what was lost (must be nothing) and how long the new service took to know the call.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.service import Service
from crm_core.models import CallRecord, SeatState
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import PASSWORD
from tests.faults.conftest import AGENT, fault_settings, started
from tests.polling import eventually


async def _record(service: Service, status: str) -> CallRecord | None:
    async with service.db.read() as s:
        return await s.scalar(select(CallRecord).where(CallRecord.status == status))


TALK = 3.0  # seconds, played at real speed: the new service's clock and the PBX's must agree


async def test_given_service_restarted_mid_call_then_new_service_resyncs_and_completes_the_record_once(
    tmp_path: Path, ami: AmiServer, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    pbx = Pbx(ami, speed=1.0)
    pbx.add_queue("support", "rrmemory")
    pbx.add_members("support", [(AGENT, "Agent 1001")])
    settings = fault_settings(tmp_path, ami.port, db_url)
    first: Service | None = await started(settings)
    assert first is not None
    call: asyncio.Task | None = None
    second: Service | None = None
    try:
        await first.users.create("agent1001", PASSWORD, "李娜", interface=AGENT, extension="1001")
        call = asyncio.create_task(
            queue_call(pbx, "13912345678", "刘洋", "support", AGENT, member_name="Agent 1001",
                       wait_seconds=0.5, ring_seconds=0.5, talk_seconds=TALK)
        )  # fmt: skip
        await eventually(lambda: _record(first, "answered"), within=10)
        answered = await _record(first, "answered")
        assert answered is not None
        await first.stop()
        first = None

        loop = asyncio.get_running_loop()
        restarted = loop.time()
        second = await started(settings)
        link = second.pbx_links["test"]
        await eventually(lambda: link.tracker.active_calls == 1, within=5)
        known = loop.time() - restarted
        assert link.tracker.call_of_agent(AGENT) == answered.call_id
        assert link.seats.state_of(AGENT) == "on_call"

        result = await asyncio.wait_for(call, 20)
        assert result.linkedid == answered.call_id
        await eventually(lambda: _record(second, "ended"), within=10)
        await second.bus.drain()
        async with second.db.read() as s:
            rows = await s.scalar(select(func.count()).where(CallRecord.call_id == answered.call_id))
            wrap_ups = select(func.count()).select_from(SeatState).where(SeatState.state == "wrap_up")
            spans = await s.scalar(wrap_ups)
        ended = await second.calls.get("test", answered.call_id)
        assert ended is not None
        lost = [] if ended.outcome == "answered" and ended.answered_at == answered.answered_at else ["record"]
        print(
            f"\n[service restart mid-call] call known {known:.3f} s after start; records: {rows}; "
            f"lost: {lost or 0}; talk {ended.talk_seconds:.3f} s of {TALK}; wrap-up spans: {spans}"
        )
        assert rows == 1 and lost == []
        assert ended.talk_seconds == pytest.approx(TALK, abs=0.1)
        assert ended.wait_seconds == answered.wait_seconds
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    finally:
        if call is not None:
            call.cancel()
            await asyncio.gather(call, return_exceptions=True)
        for service in (first, second):
            if service is not None:
                await service.stop()
