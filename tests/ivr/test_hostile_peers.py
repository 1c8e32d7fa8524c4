"""Broken and hostile peers on the FastAGI port never stall the IVR: real callers keep being
served beside them and the event loop never lags 100 ms (the worst lag is printed)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time

import pytest

from crm_core.db import Database
from tests.ivr.helpers import Ivr, running_ivr, wait_for

LAG_TICK = 0.005


async def lag_monitor(worst: list[float], stop: asyncio.Event) -> None:
    """Sleep in short ticks; how late each wake-up comes is how long the loop was blocked."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(LAG_TICK)
        worst[0] = max(worst[0], time.perf_counter() - before - LAG_TICK)


async def send_and_close(port: int, payload: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    with contextlib.suppress(ConnectionError):
        writer.write(payload)
        await writer.drain()
        await asyncio.wait_for(reader.read(), 5)  # until the server hangs up on us
    writer.close()


async def silent(port: int) -> float:
    """Connect, say nothing: returns how long the server waited before dropping us."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return time.monotonic() - started


async def callers(ivr: Ivr, count: int) -> list[str]:
    results = await asyncio.gather(*(ivr.call(["1", "2"], number=f"1380013{i:04d}") for i in range(count)))
    return [call.outcome for _, call in results]


async def test_hostile_peers_never_stall_other_calls(db: Database) -> None:
    async with running_ivr(db, env_timeout=1.5) as ivr:
        await callers(ivr, 20)  # warm up first: statement cache, number metadata, the pool's connections
        port, worst, stop = ivr.server.port, [0.0], asyncio.Event()
        monitor = asyncio.create_task(lag_monitor(worst, stop))
        hostile = [
            send_and_close(port, os.urandom(4096) + b"\n" + b"\x00garbage\r\n" * 100),
            send_and_close(port, b"agi_network: yes\nagi_network_script: main\nagi_req"),
            send_and_close(port, b"x" * (1 << 20)),
            send_and_close(port, b"agi_network: yes\n" * ((1 << 20) // 17)),
            send_and_close(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ]
        hostile_tasks = [asyncio.create_task(h) for h in hostile]
        silent_task = asyncio.create_task(silent(port))
        outcomes = await callers(ivr, 20)  # while the silent peer still holds its connection
        still_silent = not silent_task.done()
        waited = await silent_task
        await asyncio.wait_for(asyncio.gather(*hostile_tasks), 10)
        outcomes += await callers(ivr, 5)
        stop.set()
        await monitor
    print(f"\nworst event-loop lag with hostile peers: {worst[0] * 1000:.1f} ms")
    assert outcomes == ["queue:support"] * 25
    assert still_silent and 1.4 <= waited < 5  # dropped after env_timeout, not before, not never
    assert ivr.server.rejected == 6
    assert worst[0] < 0.1


async def test_given_peer_stops_answering_mid_call_then_session_times_out(db: Database) -> None:
    async with running_ivr(db, command_timeout=0.5) as ivr:
        reader, writer = await asyncio.open_connection("127.0.0.1", ivr.server.port)
        writer.write(
            b"agi_network: yes\nagi_network_script: main\nagi_uniqueid: 1.1\nagi_callerid: 5550001\n\n"
        )
        assert await asyncio.wait_for(reader.readline(), 5) == b"ANSWER\n"
        assert await asyncio.wait_for(reader.read(), 5) == b""  # we never answer: the server gives up
        writer.close()
        outcomes = await callers(ivr, 2)
        await wait_for(lambda: not ivr.server._tasks)
    assert outcomes == ["queue:support"] * 2


async def test_given_call_in_progress_when_stopped_then_stop_returns_promptly(db: Database) -> None:
    async with running_ivr(db) as ivr:
        reader, writer = await asyncio.open_connection("127.0.0.1", ivr.server.port)
        writer.write(
            b"agi_network: yes\nagi_network_script: main\nagi_uniqueid: 1.2\nagi_callerid: 5550001\n\n"
        )
        assert await asyncio.wait_for(reader.readline(), 5) == b"ANSWER\n"
        started = time.monotonic()
        await asyncio.wait_for(ivr.server.stop(), 5)
        assert time.monotonic() - started < 2 and not ivr.server._tasks
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()


async def test_given_endless_environment_block_then_rejected_for_lines_before_env_timeout(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A megabyte of well-formed agi_ lines is cut off at MAX_ENV_LINES, not waited out."""
    caplog.set_level(logging.INFO, logger="ivr.server")
    async with running_ivr(db, env_timeout=30) as ivr:
        started = time.monotonic()
        await asyncio.wait_for(send_and_close(ivr.server.port, b"agi_network: yes\n" * ((1 << 20) // 17)), 10)
        await wait_for(lambda: ivr.server.rejected == 1)
        assert time.monotonic() - started < 10  # far below env_timeout=30
    assert "environment block too long" in caplog.text
