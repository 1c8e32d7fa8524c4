"""The database locked by someone else past its busy time-out, on SQLite and on PostgreSQL.

An API write answers 503 with Retry-After and a JSON body naming the reason, writes nothing,
and succeeds when sent again after the lock is gone; a call that ends while the lock is held
still gets its record, once, when the lock goes (the bus writers retry). Each test prints what
was lost (must be nothing) and how long recovery took (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from sqlalchemy import func, select

from callcenter.service import Service
from crm_core.models import CallRecord, Customer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.faults.conftest import AGENT, BUSY_MS
from tests.faults.locks import write_lock
from tests.polling import eventually
from tests.signin import sign_in

HOLD_SECONDS = 4 * BUSY_MS / 1000  # held well past the busy time-out, so writers really give up


async def _customers(service: Service) -> int:
    async with service.db.read() as s:
        return int(await s.scalar(select(func.count()).select_from(Customer)) or 0)


def _now() -> float:
    return asyncio.get_running_loop().time()


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_given_database_locked_when_creating_customer_then_503_retry_after_and_saved_when_sent_again(
    service: Service, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"name": "刘洋", "numbers": ["13912345678"]}
    async with aiohttp.ClientSession(
        base_url=f"http://127.0.0.1:{service.web_port}", cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as http:
        await sign_in(http, "", "agent1001")
        async with write_lock(db_url, "customers"):
            started = _now()
            async with http.post("/api/v1/customers", json=body) as resp:
                waited = _now() - started
                refused = await resp.json()
                assert resp.status == 503, refused
                assert resp.headers["Retry-After"].isdigit()
                assert refused["error"] == "error.busy" and refused["message"]
            assert await _customers(service) == 0  # nothing half-written, and reads still work
            async with http.get("/api/v1/customers") as resp:
                assert resp.status == 200
        released = _now()
        async with http.post("/api/v1/customers", json=body) as resp:
            assert resp.status == 201, await resp.text()
        recovery = _now() - released
    lost = 1 - await _customers(service)
    print(
        f"\n[db locked, API write] 503 after {waited:.3f} s; lost: {lost}; "
        f"saved {recovery:.3f} s after release"
    )
    assert lost == 0 and waited < 10 * BUSY_MS / 1000
    assert _errors(caplog) == []


async def test_given_database_locked_when_call_ends_then_record_completed_once_after_release(
    service: Service, pbx: Pbx, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    call = asyncio.create_task(
        queue_call(pbx, "13912345678", "刘洋", "support", AGENT, member_name="Agent 1001",
                   wait_seconds=1, ring_seconds=1, talk_seconds=20)  # 1 s of talk at 20x
    )  # fmt: skip
    record: CallRecord | None = None

    async def answered() -> bool:
        nonlocal record
        async with service.db.read() as s:
            record = await s.scalar(select(CallRecord).where(CallRecord.status == "answered"))
        return record is not None

    await eventually(answered, within=10)
    assert record is not None
    async with write_lock(db_url, "call_records"):
        result = await asyncio.wait_for(call, 10)  # the call ends while nobody can write
        await asyncio.sleep(HOLD_SECONDS)
        held = await service.calls.get("test", result.linkedid)
        assert held is not None and held.status == "answered"  # not written yet, not dropped either
        released = _now()
    await eventually(lambda: _ended(service, result.linkedid), within=10)
    recovery = _now() - released
    await service.bus.drain()
    async with service.db.read() as s:
        rows = await s.scalar(select(func.count()).where(CallRecord.call_id == result.linkedid))
    ended = await service.calls.get("test", result.linkedid)
    assert ended is not None
    lost = 0 if ended.outcome == "answered" and ended.talk_seconds else 1
    print(f"\n[db locked at hang-up] records: {rows}; lost: {lost}; written {recovery:.3f} s after release")
    assert rows == 1 and lost == 0
    assert ended.talk_seconds == pytest.approx(20.0, abs=0.01)
    assert any("database busy, retrying" in r.getMessage() for r in caplog.records)
    assert _errors(caplog) == []


async def _ended(service: Service, call_id: str) -> bool:
    record = await service.calls.get("test", call_id)
    return record is not None and record.status == "ended"
