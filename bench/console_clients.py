"""Many console WebSockets in a process of their own, timing what arrives (benchmarks b and e).

Reads commands on standard input, one JSON object a line, answers one JSON line each:
- {"cmd": "connect", "url": ws://..., "cookies": [token, ...], "name": "crm_session"} opens one socket per
  cookie (a console signed in) and answers when all are open;
- {"cmd": "report"} answers the latency of every timed message since the last report, then forgets them:
  a pop-up's CRM_BENCH_T (set by the AMI feeder as the event left it), a bare push's "t", a wallboard
  delta's "bench_t"; all CLOCK_MONOTONIC nanoseconds, the same clock in every process of this machine;
- {"cmd": "close"} closes every socket; {"cmd": "quit"}.
A "compress": 15 in connect asks the server for permessage-deflate, as browsers do.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time

import aiohttp

_STAMP = re.compile(r'"(?:CRM_BENCH_T|t|bench_t)": ?"?(\d+)')


class Clients:
    def __init__(self) -> None:
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self.latencies: list[int] = []
        self.messages = 0
        self.readers: set[asyncio.Task[None]] = set()
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def close(self) -> int:
        sockets, self.sockets = self.sockets, []
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        return len(sockets)

    async def connect(self, url: str, cookies: list[str], name: str, compress: int = 0) -> int:
        async def one(cookie: str) -> None:
            ws = await self.http.ws_connect(url, headers={"Cookie": f"{name}={cookie}"}, compress=compress,
                                            autoping=True, max_msg_size=0)  # fmt: skip
            self.sockets.append(ws)
            task = asyncio.create_task(self._read(ws))
            self.readers.add(task)

        for start in range(0, len(cookies), 100):  # a hundred handshakes at a time
            await asyncio.gather(*(one(c) for c in cookies[start : start + 100]))
        return len(cookies)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            now = time.monotonic_ns()
            self.messages += 1
            match = _STAMP.search(msg.data)
            if match:
                self.latencies.append(now - int(match.group(1)))

    def report(self) -> dict[str, float]:
        values = sorted(self.latencies)
        self.latencies, messages, self.messages = [], self.messages, 0

        def pct(p: float) -> float:
            return values[min(len(values) - 1, int(p * len(values)))] / 1e6 if values else float("nan")

        return {"count": len(values), "messages": messages, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
                "max_ms": values[-1] / 1e6 if values else float("nan")}  # fmt: skip


async def main() -> None:
    clients = Clients()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command = json.loads(line)
        if command["cmd"] == "connect":
            answer: object = await clients.connect(
                command["url"], command["cookies"], command["name"], command.get("compress", 0)
            )
        elif command["cmd"] == "close":
            answer = await clients.close()
        elif command["cmd"] == "report":
            answer = clients.report()
        else:
            break
        print(json.dumps(answer), flush=True)
    await clients.http.close()


if __name__ == "__main__":
    asyncio.run(main())
