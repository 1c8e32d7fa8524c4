"""Benchmark b: screen-pop latency with 1,000 consoles connected, and the bare WebSocket push beside it.

From the AMI event leaving the simulator (bench/ami_feeder.py, its own process: each call's events
up to AgentCalled are written at once, stamped with CLOCK_MONOTONIC) to the agent's console
WebSocket receiving the pop-up (bench/console_clients.py, its own process, 1,000 real aiohttp
WebSocket clients on loopback, one per agent, each signed in with its own session). The service
(this process) runs whole: SQLite, call records, seat history, wallboard, the console hub looking
up the caller's card (200 of the 1,000 callers are customers). Each call rings the next agent,
is answered and hangs up `hold` seconds later. Beside each rate, in the same run, a bare aiohttp
WebSocket server in this process pushes one stamped message per "call" at the same rate to the
same number of sockets: the floor of this machine, Python and aiohttp.
Also printed: this process's CPU time per call (the AMI link, trackers, every subscriber, the sockets).
Run: `.venv/bin/python bench/screen_pop.py [seconds per rate] [rates...] [--pop-path-only] [--profile]`
(default 5 s at 200 and 500/s); --pop-path-only mutes every bus subscriber but the console hub
(no call records, seat history, recordings, wallboard...): the pop-up path alone.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import logging
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from bench.harness import PBX, ROOT, Feeder, add_agents, machine, mute_all_but, open_sessions, started
from callcenter.service import Service

CONSOLES = 1000
AGENT_BASE = 20000
CUSTOMERS = 200
HOLD = 1.0
PROFILE = "--profile" in sys.argv
POP_PATH_ONLY = "--pop-path-only" in sys.argv  # every bus subscriber but the console hub muted


class ClientProcess:
    """bench/console_clients.py, spoken to one JSON line at a time."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "console_clients.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    async def ask(self, **command: object) -> object:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return json.loads(await asyncio.to_thread(self.proc.stdout.readline))

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write('{"cmd": "quit"}\n')
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


async def _prepare(service: Service) -> list[str]:
    ids = await add_agents(service, [AGENT_BASE + i for i in range(CONSOLES)])
    for i in range(CUSTOMERS):
        await service.customers.create(f"Customer {i}", [f"1390000{i * 5:04d}"])
    return await open_sessions(service, ids)


_serial = [1]  # call ids never repeat across rates


async def _pops(service: Service, clients: ClientProcess, rate: float, seconds: float) -> object:
    calls = int(rate * seconds)
    cpu = time.process_time()
    await service.pbx_links[PBX].link.send_action(
        {"Action": "BenchCalls", "Rate": str(rate), "Calls": str(calls), "Hold": str(HOLD),
         "Agents": str(CONSOLES), "AgentBase": str(AGENT_BASE), "Callers": "1000", "Serial": str(_serial[0])}
    )  # fmt: skip
    _serial[0] += calls
    await asyncio.sleep(seconds + HOLD + 0.5)
    try:
        await asyncio.wait_for(service.bus.drain(), 120)
    except TimeoutError:
        print(f"  (rate {rate:g}/s: bus not drained 2 minutes later: {service.bus.queue_depths()})")
    await asyncio.sleep(0.3)  # the last writes reach the clients
    report = await clients.ask(cmd="report")
    assert isinstance(report, dict)
    return {**report, "cpu_ms_per_call": (time.process_time() - cpu) * 1000 / calls}


class BareServer:
    """Just aiohttp: sockets held open and a stamped message pushed to one of them at a steady rate."""

    def __init__(self) -> None:
        self.sockets: list[web.WebSocketResponse] = []
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws", self._socket)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        self.sockets.append(ws)
        async for _msg in ws:
            pass
        return ws

    async def push(self, rate: float, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            ws = self.sockets[i % len(self.sockets)]
            await ws.send_str(json.dumps({"type": "bare", "t": time.monotonic_ns(), "pad": "x" * 600}))

    async def stop(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()


async def main(seconds: float, rates: list[float]) -> None:
    logging.basicConfig(level=os.environ.get("BENCH_LOG", "ERROR"))
    feeder, clients, bare = Feeder(), ClientProcess(), BareServer()
    with tempfile.TemporaryDirectory() as folder:
        service = await started(Path(folder), feeder.port)
        if POP_PATH_ONLY:
            mute_all_but(service, "console-hub")  # AMI -> tracker -> bus -> hub -> socket alone
        try:
            began = time.perf_counter()
            cookies = await _prepare(service)
            print(f"setup: {machine()}; {CONSOLES} agents and consoles, {CUSTOMERS} customers "
                  f"(prepared in {time.perf_counter() - began:.1f} s); AMI feeder and WebSocket clients "
                  f"in processes of their own; SQLite; {seconds:g} s per rate, calls answered after "
                  f"{HOLD:g} s")  # fmt: skip
            url = f"ws://127.0.0.1:{service.web_port}/ws"
            await clients.ask(cmd="connect", url=url, cookies=cookies, name="crm_session")
            await bare.start()
            await clients.ask(cmd="connect", url=f"ws://127.0.0.1:{bare.port}/ws", cookies=cookies[:CONSOLES],
                              name="x")  # fmt: skip
            consoles = service.hub.streams.console_count()
            print(f"  consoles connected: {consoles}, bare sockets: {len(bare.sockets)}")
            await clients.ask(cmd="report")  # forget the snapshots
            for rate in rates:
                profiler = cProfile.Profile() if PROFILE else None
                if profiler:
                    profiler.enable()
                pops = await _pops(service, clients, rate, seconds)
                if profiler:
                    profiler.disable()
                    stats = pstats.Stats(profiler)
                    stats.sort_stats("tottime").print_stats(20)
                    stats.sort_stats("cumulative").print_stats("/work/main/(crm_core|cti|agent_ui)", 30)
                await bare.push(rate, seconds)
                await asyncio.sleep(0.3)
                floor = await clients.ask(cmd="report")
                print(f"  {rate:5.0f} calls/s  screen pop {_fmt(pops)}")
                print(f"  {rate:5.0f} msgs/s   bare push  {_fmt(floor)}")
        finally:
            await bare.stop()
            clients.stop()
            await service.stop()
            feeder.stop()


def _fmt(report: object) -> str:
    r = report if isinstance(report, dict) else {}
    text = (
        f"p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  max {r['max_ms']:7.1f} ms  (n={r['count']})"
    )
    return text + (f"  server CPU {r['cpu_ms_per_call']:.1f} ms/call" if "cpu_ms_per_call" in r else "")


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(args[0] if args else 5.0, args[1:] or [200.0, 500.0]))
