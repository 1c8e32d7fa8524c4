"""The AMI link as the service lives with it: a wrong secret, and a PBX that drops and comes back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest

from callcenter.service import Service
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import eventually, make_settings


async def test_given_wrong_ami_secret_then_one_clear_line_per_attempt_backoff_and_service_stays_up(
    tmp_path: Path, ami: AmiServer, caplog: pytest.LogCaptureFixture
) -> None:
    ami.login_fail_delay = 0.05
    service = Service(make_settings(tmp_path, ami.port, secret="not-the-secret"))
    caplog.set_level(logging.INFO)
    await service.start()
    try:
        await asyncio.sleep(3.0)
        link = service.pbx_links["test"]
        refusals = [r for r in caplog.records if "AMI login refused" in r.getMessage()]
        assert not link.connected
        # backoff 0.5 s doubling (capped at 1 s here): a handful of tries in 3 s, never a busy loop
        assert 2 <= len(refusals) <= 6, [r.getMessage() for r in refusals]
        assert len(refusals) == link.link.attempts or len(refusals) == link.link.attempts - 1
        assert all("not-the-secret" not in r.getMessage() for r in caplog.records)
        health = f"http://127.0.0.1:{service.web_port}/api/health"
        async with aiohttp.ClientSession() as http, http.get(health) as resp:
            assert resp.status == 200
            assert (await resp.json())["pbx"] == {"test": False}
    finally:
        await service.stop()


async def test_given_ami_dropped_and_restored_then_service_reconnects_and_next_call_pops(
    service: Service, ami: AmiServer, pbx: Pbx, open_console
) -> None:
    console = await open_console("agent1001")
    link = service.pbx_links["test"]
    before = link.link.attempts
    started = asyncio.get_running_loop().time()
    await ami.drop_all()
    await eventually(lambda: link.link.attempts > before and link.connected, within=5)
    print(f"reconnected and resynced in {asyncio.get_running_loop().time() - started:.3f} s")

    await queue_call(pbx, "13912345678", "刘洋", "support", "Local/1001@agents/n", member_name="Agent 1001",
                     wait_seconds=1, ring_seconds=1, talk_seconds=2)  # fmt: skip
    pop = await console.wait_for(lambda m: m["type"] == "pop")
    assert pop["call"]["caller_number"] == "13912345678"


async def test_given_pbx_down_at_start_then_service_starts_and_connects_when_it_appears(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    service = Service(make_settings(tmp_path, unused_tcp_port))
    await service.start()
    server = AmiServer("crm", "test-secret", port=unused_tcp_port)
    try:
        await asyncio.sleep(0.3)
        assert not service.pbx_links["test"].connected
        await server.start()
        await eventually(lambda: service.pbx_links["test"].connected, within=5)
    finally:
        await service.stop()
        await server.stop()
