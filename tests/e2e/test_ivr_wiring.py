"""The IVR as the service runs it: started from the [ivr] table, routing a caller for the dialplan,
and hostile FastAGI peers never stall the rest of the service (web UI included)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from pathlib import Path

import aiohttp

from callcenter.service import Service
from pbxsim.agi_channel import AgiChannelModel
from pbxsim.fastagi_client import call_ivr, environment
from tests.e2e.conftest import eventually, make_settings
from tests.ivr.helpers import example_config
from tests.ivr.test_hostile_peers import lag_monitor, send_and_close

ALWAYS_OPEN = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "open": "00:00", "close": "23:59",
               "holidays": []}  # fmt: skip


async def test_ivr_routes_a_caller_and_hostile_peers_never_stall_the_service(tmp_path: Path, ami) -> None:
    settings = make_settings(tmp_path, ami.port)
    ivr_table = example_config(pbx="test", hours=ALWAYS_OPEN, env_timeout=1.0)
    service = Service(dataclasses.replace(settings, ivr=ivr_table))
    await service.start()
    try:
        assert service.ivr is not None
        port = service.ivr.port
        await service.customers.create("王小明", ["13800138000"], tags=["vip"])
        model = AgiChannelModel(environment("main", "1795383366.1", "13800138000", port), keys=["1", "2"])
        result = await call_ivr("127.0.0.1", port, model, deadline=15)
        assert not result.errors
        assert model.variables.get("CRM_QUEUE") == "support"
        assert model.variables.get("CRM_VIP") == "1"  # a VIP customer: told to the dialplan and the pop-up

        worst, stop = [0.0], asyncio.Event()
        monitor = asyncio.create_task(lag_monitor(worst, stop))
        hostile = [
            asyncio.create_task(send_and_close(port, os.urandom(4096))),
            asyncio.create_task(send_and_close(port, b"agi_network: yes\nagi_req")),
            asyncio.create_task(send_and_close(port, b"x" * (1 << 20))),
        ]
        slowest = 0.0
        async with aiohttp.ClientSession() as http:
            for _ in range(20):
                started = time.perf_counter()
                async with http.get(f"http://127.0.0.1:{service.web_port}/api/health") as resp:
                    assert resp.status == 200
                slowest = max(slowest, time.perf_counter() - started)
                await asyncio.sleep(0.02)
        await asyncio.wait_for(asyncio.gather(*hostile), 10)
        await eventually(lambda: service.ivr.rejected >= 3)
        stop.set()
        await monitor
        print(f"\nworst loop lag {worst[0] * 1000:.1f} ms, slowest health check {slowest * 1000:.1f} ms")
        assert worst[0] < 0.1 and slowest < 0.5
    finally:
        await service.stop()
