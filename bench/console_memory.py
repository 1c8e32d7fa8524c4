"""Benchmark d: server memory per connected console (target ≤ 20 KB).

1,000 agents sign in (sessions made in bulk) and open their console WebSocket from a process of
their own (bench/console_clients.py, aiohttp clients asking for permessage-deflate as browsers
do); each gets the hello and snapshot messages. In this process (the service) we read the
resident set size (/proc/self/status VmRSS) before and after, with a full garbage collection
each time, after a warm-up round of 100 consoles (so one-time costs, caches and compiled
statements, are not charged to the consoles). The RSS round runs without tracemalloc (its
bookkeeping would double the figure); it moves by about half a KB from run to run (pages,
malloc arenas: run the script a few times). A second round measures the Python heap with
tracemalloc (steadier; its RSS is not comparable: memory freed by the first round is reused).
Console sockets are opened without per-message compression (agent_ui/ws.py): a zlib state per
socket would cost ~180 KB each.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.harness import add_agents, machine, open_sessions, started, until
from bench.screen_pop import ClientProcess
from callcenter.service import Service


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def _per_console(service: Service, clients: ClientProcess, cookies: list[str]) -> tuple[float, float]:
    """(RSS bytes, traced bytes: 0 unless tracemalloc runs) per console while len(cookies) consoles
    are connected."""
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
        service = await started(Path(folder), None)
        try:
            ids = await add_agents(service, [20000 + i for i in range(consoles)])
            cookies = await open_sessions(service, ids)
            print(f"setup: {machine()}; {consoles} consoles signed in, clients in their own process asking "
                  "for permessage-deflate; memory of the service process")  # fmt: skip
            await _per_console(service, clients, cookies[:100])  # warm-up
            rss, _ = await _per_console(service, clients, cookies)
            print(f"  RSS per console                {rss / 1024:7.1f} KB (target 20 KB)")
            tracemalloc.start()
            _show("with tracemalloc on", *await _per_console(service, clients, cookies))
        finally:
            clients.stop()
            await service.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
