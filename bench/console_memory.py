"""Benchmark d: server memory per connected console (target ≤ 20 KB).

1,000 agents sign in (sessions made in bulk) and open their console WebSocket from a process of
their own (bench/console_clients.py, aiohttp clients asking for permessage-deflate as browsers
do); each gets the hello and snapshot messages. In this process (the service) we read the
resident set size (/proc/self/status VmRSS) and the Python heap (tracemalloc, which also sees
zlib's state) before and after, with a full garbage collection each time. Then, for comparison,
the same with the console socket forced to compress (what aiohttp does by default when a client
asks: the zlib state of each socket) — patched in this script only.
Run: `.venv/bin/python bench/console_memory.py [consoles]` (default 1000).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import tempfile
import tracemalloc
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

import agent_ui.ws
from bench.harness import add_agents, machine, open_sessions, settings, until
from bench.screen_pop import ClientProcess
from callcenter.service import Service


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class _Compressing(web.WebSocketResponse):
    def __init__(self, **options: object) -> None:
        super().__init__(**{**options, "compress": True})  # type: ignore[arg-type]


async def _per_console(service: Service, clients: ClientProcess, cookies: list[str]) -> tuple[float, float]:
    """(RSS bytes, traced bytes) per console while len(cookies) consoles are connected."""
    gc.collect()
    await asyncio.sleep(0.5)
    rss, traced = rss_bytes(), tracemalloc.get_traced_memory()[0]
    url = f"ws://127.0.0.1:{service.web_port}/ws"
    await clients.ask(cmd="connect", url=url, cookies=cookies, name="crm_session", compress=15)
    await until(lambda: service.hub.streams.console_count() == len(cookies), 60.0)
    await asyncio.sleep(1.0)  # hello and snapshot written
    gc.collect()
    rss, traced = rss_bytes() - rss, tracemalloc.get_traced_memory()[0] - traced
    await clients.ask(cmd="close")
    await until(lambda: service.hub.streams.console_count() == 0, 60.0)
    return rss / len(cookies), traced / len(cookies)


def _show(label: str, rss: float, traced: float) -> None:
    print(f"  {label:<30} {rss / 1024:7.1f} KB RSS, {traced / 1024:7.1f} KB Python heap per console")


async def main(consoles: int) -> None:
    logging.basicConfig(level=os.environ.get("BENCH_LOG", "ERROR"))
    clients = ClientProcess()
    with tempfile.TemporaryDirectory() as folder:
        service = Service(replace(settings(Path(folder), 1), pbx=[]))
        await service.start()
        try:
            ids = await add_agents(service, [20000 + i for i in range(consoles)])
            cookies = await open_sessions(service, ids)
            tracemalloc.start()
            print(f"setup: {machine()}; {consoles} consoles signed in, clients in their own process asking "
                  "for permessage-deflate; memory of the service process")  # fmt: skip
            _show("as shipped (compress=False)", *await _per_console(service, clients, cookies))
            patched = SimpleNamespace(**{**vars(web), "WebSocketResponse": _Compressing})
            agent_ui.ws.web = patched  # type: ignore[assignment]
            _show("forced compress=True", *await _per_console(service, clients, cookies))
            print("  (RSS after the first run is at least: memory freed by then is reused)")
        finally:
            agent_ui.ws.web = web  # type: ignore[assignment]
            clients.stop()
            await service.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
