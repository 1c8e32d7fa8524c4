"""Soak: an hour of recorded AMI traffic played fast through the whole service.

The mix of recorded calls (tests/soak/traffic.py) goes through a loopback AMI server into the
real service (tracker, bus, call records on SQLite, seat history, two consoles on WebSockets).
Memory (RSS, and what tracemalloc sees allocated after the warm-up and still alive), asyncio
tasks and open files are read after the warm-up and again at the end: none may grow beyond
noise. The replay stops early when its wall-clock budget is spent (a loaded machine covers
less of the hour; the figures say how much). Figures are printed (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import resource
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.service import Service
from crm_core.models import CallRecord
from pbxsim.ami_server import AmiServer
from tests.e2e.conftest import PASSWORD, make_settings
from tests.polling import eventually
from tests.soak.traffic import MIX, hour

START = 1_800_000_000.0
BUDGET_SECONDS = float(os.environ.get("CRM_SOAK_SECONDS", "150"))  # wall clock; the hour needs ~90 s here
ROUND = len(MIX)  # recorded calls sent at once; then the link and the writers catch up
WARM_UP_ROUNDS = 8  # settles caches, pools and buffers
MIN_ROUNDS_AFTER = 8  # fewer than this after the warm-up proves nothing
TASKS_NOISE = 2
FILES_NOISE = 4  # the reader pool may open a few more SQLite connections under load
HEAP_GROWTH_MAX = 3 * 2**20  # bytes allocated after the warm-up and still alive at the end
RSS_GROWTH_MAX = 24 * 2**20
PING_SECONDS = 10.0  # a loaded CI machine may take seconds per round; link liveness is tested elsewhere


@dataclass
class Figures:
    rss: int
    tasks: int
    files: dict[str, str]  # fd -> what it is
    heap: int

    def line(self) -> str:
        return (
            f"RSS {self.rss / 2**20:.1f} MB, asyncio tasks {self.tasks}, open files {len(self.files)}, "
            f"heap grown {self.heap / 2**20:.2f} MB"
        )


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _files() -> dict[str, str]:
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            found[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed while listed (the listing's own fd)
    return found


def _figures() -> Figures:
    gc.collect()
    heap = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
    return Figures(_rss(), len(asyncio.all_tasks()), _files(), heap)


@pytest.fixture
async def service(tmp_path: Path, replayer: AmiServer) -> AsyncIterator[Service]:
    settings = make_settings(tmp_path, replayer.port)
    pbx = dataclasses.replace(settings.pbx[0], ping_seconds=PING_SECONDS)
    service = Service(dataclasses.replace(settings, pbx=[pbx]))
    await service.start()
    await service.users.create("agent1001", PASSWORD, "Agent 1001", interface="Local/1001@agents/n")
    await service.users.create("agent1002", PASSWORD, "Agent 1002", interface="Local/1002@agents/n")
    await eventually(lambda: service.pbx_links["test"].connected)
    yield service
    await service.stop()


async def _caught_up(service: Service, received: int) -> None:
    """The link has read every event sent (it never lags enough to miss a ping) and every
    subscriber has handled what came of them."""
    link = service.pbx_links["test"]
    await eventually(lambda: link.events_received >= received, within=30, step=0.005)
    await service.bus.drain()


async def test_an_hour_of_recorded_traffic_leaves_memory_tasks_and_files_flat(
    replayer: AmiServer, service: Service, open_console
) -> None:
    consoles = [await open_console("agent1001"), await open_console("agent1002")]
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + BUDGET_SECONDS
    link = service.pbx_links["test"]
    sent, nominal, copies = link.events_received, 0.0, 0
    warm: Figures | None = None
    try:
        for copy, _at, trace in hour(START):
            for pairs, stamp in trace:
                replayer.send_event(pairs, timestamp=stamp)
            sent, copies, nominal = sent + len(trace), copy + 1, trace[-1][1] - START
            if copies % ROUND:
                continue
            await _caught_up(service, sent)
            for console in consoles:
                console.messages.clear()  # the test's own list, not the service's memory
            if copies == WARM_UP_ROUNDS * ROUND:
                tracemalloc.start()
                warm = _figures()
            if loop.time() > deadline:
                break
        await _caught_up(service, sent)
        end = _figures()
    finally:
        tracemalloc.stop()
    seconds = loop.time() - started
    async with service.db.read() as s:
        records = int(await s.scalar(select(func.count()).select_from(CallRecord)) or 0)
    assert warm is not None, "the warm-up did not finish within the budget"
    print(
        f"\n[soak] {copies} recorded calls/seat changes ({nominal / 60:.0f} nominal minutes), "
        f"{records} call records, in {seconds:.1f} s"
        f"\n[soak] after warm-up: {warm.line()}\n[soak] at the end:    {end.line()}"
    )
    new_files = sorted(set(end.files.values()) - set(warm.files.values()))
    print(f"[soak] files opened since the warm-up: {new_files}")
    assert copies >= (WARM_UP_ROUNDS + MIN_ROUNDS_AFTER) * ROUND, "too little traffic after the warm-up"
    assert link.link.attempts == 1, "the link must stay up all along"
    assert end.tasks <= warm.tasks + TASKS_NOISE
    assert len(end.files) <= len(warm.files) + FILES_NOISE, new_files
    assert end.heap <= HEAP_GROWTH_MAX
    assert end.rss <= warm.rss + RSS_GROWTH_MAX
