"""Benchmark e: one wallboard update to 1,000 connected screens (target ≤ 10 ms of server time).

1,000 supervisors (10 teams of 100, so 10 audiences: each team sees only its own agents) open
/ws/wallboard from a process of their own (bench/console_clients.py); 100 agents per team are on
the board. Each update is one agent's seat changing state, handed to the wallboard hub as the bus
would. Measured in the service process, per update (30 of them, spaced out):
- flush: building the delta, encoding it once per audience and queueing it to every screen;
- all written: from the event to the last of the 1,000 sockets having been written to (at once while
  a screen keeps up, else by its writer task), as wall time and as this process's CPU time (the
  machine is shared: CPU time is what we used);
- floor: one ready frame written to the 1,000 transports in a loop, nothing else: what the kernel's
  loopback TCP send costs here, which no fan-out can go under.
Run: `.venv/bin/python bench/wallboard_fanout.py [screens] [updates]` (default 1000, 30).
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent_ui.stream import text_frame
from bench.harness import add_agents, machine, open_sessions, started, until
from bench.screen_pop import ClientProcess
from callcenter.service import Service
from crm_core.events import AgentStateChanged

TEAMS = 10
AGENTS_PER_TEAM = 100


async def _setup(service: Service, screens: int) -> list[str]:
    for team in range(TEAMS):
        await add_agents(service, [30000 + team * 1000 + i for i in range(AGENTS_PER_TEAM)], f"team{team}")
    ids: list[int] = []
    for team in range(TEAMS):
        first = 50000 + team * 1000
        count = screens // TEAMS
        ids += await add_agents(service, list(range(first, first + count)), f"team{team}", role="supervisor")
    return await open_sessions(service, ids)


async def _one_update(service: Service, n: int) -> tuple[float, float]:
    hub = service.wallboard
    agent = f"Local/{30000 + (n % TEAMS) * 1000 + n % AGENTS_PER_TEAM}@agents/n"
    state = ("ready", "paused")[n % 2]
    began, cpu = time.perf_counter(), time.process_time()
    await hub.handle(AgentStateChanged("bench", agent, state, "", ("support",), time.time()))
    # a busy-wait of one loop turn at a time: nothing else to wake us when the last writer is done
    while hub._pending is not None or any(s.writer is not None for s in hub.screens):  # noqa: ASYNC110
        await asyncio.sleep(0)
    await asyncio.sleep(0)  # the last writer's send_str returns
    return time.perf_counter() - began, time.process_time() - cpu


def _timed_flush(service: Service, flushes: list[float]) -> None:
    hub = service.wallboard
    flush = hub._flush

    def timed() -> None:
        began = time.perf_counter()
        flush()
        flushes.append(time.perf_counter() - began)

    hub._flush = timed  # type: ignore[method-assign]


async def _floor(service: Service, updates: int) -> list[float]:
    """One ready frame written straight to every screen's transport: the kernel's share (loopback TCP)."""
    frame = text_frame('{"type":"delta","bench":"floor"}')
    transports = [s.transport for s in service.wallboard.screens if s.transport is not None]
    out = []
    for _ in range(updates):
        began = time.perf_counter()
        for transport in transports:
            transport.write(frame)
        out.append(time.perf_counter() - began)
        await asyncio.sleep(0.05)
    return out


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[int(0.9 * (len(values) - 1))]
    return f"median {statistics.median(values) * 1000:6.2f} ms  p90 {p90 * 1000:6.2f} ms"


async def main(screens: int, updates: int) -> None:
    logging.basicConfig(level=os.environ.get("BENCH_LOG", "ERROR"))
    clients = ClientProcess()
    with tempfile.TemporaryDirectory() as folder:
        service = await started(Path(folder), None)
        try:
            cookies = await _setup(service, screens)
            url = f"ws://127.0.0.1:{service.web_port}/ws/wallboard"
            await clients.ask(cmd="connect", url=url, cookies=cookies, name="crm_session")
            await until(lambda: service.wallboard.screen_count() == len(cookies), 60.0)
            print(f"setup: {machine()}; {len(cookies)} wallboard screens in {TEAMS} teams "
                  f"({AGENTS_PER_TEAM} agents each on the board), clients in their own process")  # fmt: skip
            await asyncio.sleep(1.0)
            flushes: list[float] = []
            _timed_flush(service, flushes)
            walls, cpus = [], []
            for n in range(updates):
                wall, cpu = await _one_update(service, n)
                walls.append(wall)
                cpus.append(cpu)
                await asyncio.sleep(0.05)
            floor = await _floor(service, updates)
            report = await clients.ask(cmd="report")
            print(f"  flush (delta, encoded+framed per audience, sent)    {_ms(flushes)}")
            print(f"  event to all 1,000 written, wall time                  {_ms(walls)}")
            print(f"  event to all 1,000 written, CPU time of the service    {_ms(cpus)}")
            print(f"  floor: the same frame written to the 1,000 sockets  {_ms(floor)}")
            print(f"  messages the screens received meanwhile: {report['messages']}")  # type: ignore[index]
        finally:
            clients.stop()
            await service.stop()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(args[0] if args else 1000, args[1] if len(args) > 1 else 30))
