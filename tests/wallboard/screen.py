"""A wallboard screen for tests: a real WebSocket client that keeps the board as a browser would.

It applies the snapshot and every delta to its own copy of the seats and queues, and
remembers every version of each seat and queue it was sent, in order, so a test can
assert the whole course of a call even when the simulator plays it faster than a poll.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import websockets
from yarl import URL

from tests.polling import eventually
from tests.signin import sign_in


@dataclass
class Screen:
    ws: Any
    messages: list[dict[str, Any]] = field(default_factory=list)
    seats: dict[str, dict[str, Any]] = field(default_factory=dict)
    queues: dict[str, dict[str, Any]] = field(default_factory=dict)
    seat_history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    queue_history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        async for raw in self.ws:
            self.apply(json.loads(raw))

    def apply(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        if message["type"] == "snapshot":
            self.seats.clear()
            self.queues.clear()
        for seat in message.get("seats", []):
            self.seats[seat["agent"]] = seat
            self.seat_history.setdefault(seat["agent"], []).append(seat)
        for agent in message.get("gone", []):
            self.seats.pop(agent, None)
        for queue in message.get("queues", []):
            self.queues[queue["name"]] = queue
            self.queue_history.setdefault(queue["name"], []).append(queue)

    def states_of(self, agent: str) -> list[str]:
        """The seat's successive states, repeats folded."""
        states: list[str] = []
        for seat in self.seat_history.get(agent, []):
            if not states or states[-1] != seat["state"]:
                states.append(seat["state"])
        return states

    async def wait_for(self, check: Callable[[], bool], within: float = 10.0) -> None:
        await eventually(check, within)

    async def close(self) -> None:
        await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


async def session_cookie(port: int, login: str) -> str:
    """Sign in over HTTP as the page would; the session cookie's value."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # an IP host
        await sign_in(http, f"http://127.0.0.1:{port}", login)
        cookie = http.cookie_jar.filter_cookies(URL(f"http://127.0.0.1:{port}/"))["crm_session"]
        return cookie.value


async def open_screen(port: int, login: str, origin: str | None = None) -> Screen:
    """Connect /ws/wallboard signed in as login; waits for the snapshot."""
    token = await session_cookie(port, login)
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/wallboard",
        additional_headers={"Cookie": f"crm_session={token}"},
        origin=origin,  # type: ignore[arg-type]
    )
    screen = Screen(ws)
    screen.reader = asyncio.create_task(screen._read())
    await screen.wait_for(lambda: bool(screen.messages))
    assert screen.messages[0]["type"] == "snapshot"
    return screen
