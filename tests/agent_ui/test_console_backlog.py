"""A console that falls behind (agent_ui/stream.py): a backlog and a writer only while it catches up.

A real aiohttp client on loopback "stops reading" by not calling receive(): its queue fills, it
stops reading the socket, the kernel buffers fill, and the server's transport buffer grows past
DIRECT_WRITE_LIMIT.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from agent_ui import stream
from agent_ui.stream import ConsoleSocket
from callcenter.service import Service
from tests.agent_ui.test_console_stream import _token, bare_service  # noqa: F401  (the shared fixture)
from tests.polling import eventually

PAD = "x" * 60_000  # ~60 KB a message: a few hundred fill the loopback buffers
MOST_PUSHED = 600  # far more than the kernel buffers hold


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _connect(svc: Service, http: aiohttp.ClientSession, login: str) -> tuple[Any, int, ConsoleSocket]:
    """A raw console client, read up to its snapshot; (ws, user id, the server's ConsoleSocket)."""
    token = await _token(svc, login)
    user = await svc.users.by_login(login)
    assert user is not None
    ws = await http.ws_connect(
        f"http://127.0.0.1:{svc.web_port}/ws", headers={"Cookie": f"crm_session={token}"}
    )
    async with asyncio.timeout(5):
        while (await ws.receive_json())["type"] != "snapshot":
            pass
    sockets = svc.hub.streams._streams[user.id].sockets  # reading state only
    assert len(sockets) == 1
    (console,) = sockets
    return ws, user.id, console


def _bulk(i: int) -> dict[str, Any]:
    return {"type": "bulk", "i": i, "pad": PAD}


async def _push_until(svc: Service, user_id: int, done: Any, first: int = 0) -> int:
    """Push bulk messages (letting the loop run between them) until done(); how many were pushed."""
    for n in range(MOST_PUSHED):
        if done():
            return n
        svc.hub.streams.push(user_id, _bulk(first + n))
        await asyncio.sleep(0)
    raise AssertionError(f"still not done after {MOST_PUSHED} messages")


async def _read_bulk(ws: Any, count: int) -> list[dict[str, Any]]:
    got = []
    async with asyncio.timeout(10):
        while len(got) < count:
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            data = json.loads(msg.data)
            if data["type"] == "bulk":
                got.append(data)
    return got


async def test_a_console_that_falls_behind_gets_a_backlog_until_it_catches_up(
    bare_service: Service,  # noqa: F811
    http: aiohttp.ClientSession,
) -> None:
    svc = bare_service
    ws, user_id, console = await _connect(svc, http, "agent1001")
    assert console.writer is None and console.backlog is None  # keeping up: nothing per console
    first_seq = svc.hub.streams.last_seq(user_id) + 1

    pushed = await _push_until(svc, user_id, lambda: console.writer is not None)  # the client reads nothing
    assert console.transport is not None
    assert console.transport.get_write_buffer_size() > stream.DIRECT_WRITE_LIMIT
    assert console.backlog is not None
    for i in range(pushed, pushed + 20):  # more while it is behind: they wait their turn
        svc.hub.streams.push(user_id, _bulk(i))
    pushed += 20
    assert console.writer is not None and len(console.backlog or ()) >= 20  # queued, not written

    got = await _read_bulk(ws, pushed)  # the client reads again

    assert [m["i"] for m in got] == list(range(pushed))
    assert [m["seq"] for m in got] == list(range(first_seq, first_seq + pushed))  # in order, no gap
    assert all(m["pad"] == PAD for m in got)
    await eventually(lambda: console.writer is None and console.backlog is None, 5)
    assert not console.dead and console in svc.hub.streams._streams[user_id].sockets

    svc.hub.streams.push(user_id, {"type": "bulk", "i": pushed, "pad": "after"})  # written at once again
    assert console.writer is None and console.backlog is None
    (last,) = await _read_bulk(ws, 1)
    assert (last["i"], last["seq"]) == (pushed, first_seq + pushed)
    await ws.close()


async def test_a_console_that_never_reads_is_closed_1013_once_its_backlog_overflows(
    bare_service: Service,  # noqa: F811
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stream, "BACKLOG_PER_SOCKET", 8)  # settings, not our logic
    svc = bare_service
    ws, user_id, console = await _connect(svc, http, "agent1001")
    other, other_id, other_console = await _connect(svc, http, "agent1002")
    first_seq = svc.hub.streams.last_seq(user_id) + 1

    pushed = await _push_until(svc, user_id, lambda: console.dead)
    assert console not in svc.hub.streams._streams[user_id].sockets  # no longer offered anything
    await eventually(lambda: console.writer is None, 2)  # cancelled

    svc.hub.streams.push(other_id, {"type": "bulk", "i": 0, "pad": "other"})  # the others are not held up
    async with asyncio.timeout(5):
        assert (await other.receive_json())["pad"] == "other"
    assert other_console.writer is None and not other_console.dead

    got: list[dict[str, Any]] = []  # what reached the client before the close: whole messages, in order
    async with asyncio.timeout(10):
        while (msg := await ws.receive()).type == aiohttp.WSMsgType.TEXT:
            got.append(json.loads(msg.data))
    assert msg.type == aiohttp.WSMsgType.CLOSE, msg
    assert ws.close_code == 1013
    bulk = [m for m in got if m["type"] == "bulk"]
    assert 0 < len(bulk) < pushed  # the overflowing backlog was dropped, not sent
    assert [m["seq"] for m in bulk] == list(range(first_seq, first_seq + len(bulk)))
    await eventually(lambda: not svc.hub.streams.has_consoles(user_id), 5)
    await other.close()
