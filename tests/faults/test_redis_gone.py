"""Redis gone for a few seconds between a second instance and the shared event stream.

Instance A owns the PBX link (the simulator) and writes the call records; instance B serves an
agent's console and learns of calls only through the Redis stream, reached through a proxy the
test controls (the machine's Redis is never stopped). While B cannot reach Redis a call comes
and goes; when Redis is back, B reads the stream from where it stopped and the console gets that
call's pop-up and its end: nothing lost, nothing twice. Prints what was lost and the recovery time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlalchemy import func, select

from callcenter.service import Service
from callcenter.settings import ClusterSettings
from crm_core.models import CallRecord
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.cluster.conftest import REDIS_URL, redis_reachable
from tests.conftest import need_service
from tests.e2e.conftest import PASSWORD, Console, connect_console, make_settings
from tests.faults.conftest import AGENT
from tests.polling import eventually
from tests.tcp_proxy import LoopbackProxy

DOWN_SECONDS = 3.0


@pytest.fixture
async def proxy() -> AsyncIterator[LoopbackProxy]:
    need_service(await redis_reachable())
    target = urlsplit(REDIS_URL)
    server = LoopbackProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def pair(
    tmp_path: Path, ami: AmiServer, pbx: Pbx, proxy: LoopbackProxy
) -> AsyncIterator[tuple[Service, Service]]:
    """A (owner of the PBX, Redis direct) and B (Redis through the proxy), one database."""
    namespace, db = f"crm-faults-{uuid.uuid4().hex[:8]}", f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    path = urlsplit(REDIS_URL).path or "/0"

    def settings(name: str, redis_url: str):
        base = make_settings(tmp_path / name, ami.port)
        cluster = ClusterSettings(redis_url=redis_url, instance_id=name, namespace=namespace)
        database = dataclasses.replace(base.database, url=db)
        return dataclasses.replace(base, database=database, cluster=cluster)

    a = Service(settings("a", REDIS_URL))
    b: Service | None = None
    await a.start()
    try:
        await a.users.create("agent1001", PASSWORD, "李娜", interface=AGENT, extension="1001")
        await eventually(lambda: a.pbx_links["test"].connected, within=10)
        b = Service(settings("b", f"redis://127.0.0.1:{proxy.port}{path}"))
        await b.start()
        yield a, b
    finally:
        if b is not None:
            await b.stop()
        await a.stop()


async def _console(service: Service, login: str) -> tuple[Console, aiohttp.ClientSession]:
    http = aiohttp.ClientSession()
    return await connect_console(http, service.web_port, login), http


def _call(pbx: Pbx, number: str) -> asyncio.Task:
    return asyncio.create_task(
        queue_call(pbx, number, "刘洋", "support", AGENT, member_name="Agent 1001",
                   wait_seconds=1, ring_seconds=1, talk_seconds=20)  # about a second at 20x
    )  # fmt: skip


def _seen(console: Console, call_id: str) -> list[str]:
    """What the console showed of the call: "pop", then its states."""
    shown = []
    for m in console.messages:
        if m["type"] == "pop" and m["call"]["call_id"] == call_id:
            shown.append("pop")
        elif m.get("pop_id") == f"test:{call_id}" and m["type"] == "call_state":
            shown.append(m["state"])
    return shown


async def test_given_redis_gone_for_seconds_then_the_other_instance_console_catches_up_nothing_lost(
    pair: tuple[Service, Service], pbx: Pbx, proxy: LoopbackProxy
) -> None:
    a, b = pair
    console, http = await _console(b, "agent1001")
    loop = asyncio.get_running_loop()
    try:
        before = await asyncio.wait_for(_call(pbx, "13900000001"), 10)
        await console.wait_for(lambda m: "ended" in _seen(console, before.linkedid), within=10)

        proxy.go_down()
        down_at = loop.time()
        during = await asyncio.wait_for(_call(pbx, "13900000002"), 10)
        await asyncio.sleep(max(0.0, DOWN_SECONDS - (loop.time() - down_at)))
        missed_while_down = _seen(console, during.linkedid)
        proxy.come_back()
        back_at = loop.time()
        await console.wait_for(lambda m: "ended" in _seen(console, during.linkedid), within=15)
        recovery = loop.time() - back_at

        await a.bus.drain()
        async with a.db.read() as s:
            rows = await s.scalar(select(func.count()).where(CallRecord.call_id == during.linkedid))
        shown = _seen(console, during.linkedid)
        lost = [step for step in ("pop", "answered", "ended") if step not in shown]
        print(
            f"\n[redis gone {DOWN_SECONDS:.0f} s] shown while down: {missed_while_down}; after: {shown}; "
            f"lost: {lost or 0}; console caught up {recovery:.3f} s after Redis came back; records: {rows}"
        )
        assert missed_while_down == [] and lost == [] and shown.count("pop") == 1 and rows == 1
        assert json.dumps(_seen(console, before.linkedid)).count("pop") == 1  # the earlier call not replayed
    finally:
        await console.ws.close()
        if console.reader is not None:
            await asyncio.gather(console.reader, return_exceptions=True)
        await http.close()
