"""Per-agent message streams with sequence numbers, so a console that reconnects catches up.

Every message to an agent gets the next number of that agent's stream and is kept
in a short ring buffer. A console reconnecting with (stream epoch, last number)
gets exactly what it missed; one whose gap is no longer in the buffer (or that
talks to a restarted server: another epoch) is told to reset and gets a snapshot.

Each socket has its own bounded outbox and writer task: pushing never waits on a
socket, so one console that stops reading cannot delay anybody's pop-up. A
console whose outbox overflows is disconnected; it reconnects and resumes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)
BUFFER_PER_AGENT = 200
OUTBOX_PER_SOCKET = 256
SEND_TIMEOUT = 5.0


class ConsoleSocket:
    """One open console: its socket, its outbox and the task that drains it."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_PER_SOCKET)
        self.writer = asyncio.create_task(self._drain(), name="console-writer")
        self.dead = False
        self._closing: asyncio.Task[None] | None = None

    def offer(self, text: str) -> None:
        if self.dead:
            return
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:
            log.warning("console too slow, disconnecting it so it resumes")
            self.dead = True
            self.writer.cancel()
            self._closing = asyncio.get_running_loop().create_task(self._close_slow())

    async def _close_slow(self) -> None:
        try:
            await self.ws.close(code=1013, message=b"too slow")
        except Exception:
            log.info("slow console was already gone")

    async def _drain(self) -> None:
        while not self.ws.closed:
            text = await self.outbox.get()
            try:
                await asyncio.wait_for(self.ws.send_str(text), SEND_TIMEOUT)
            except (ConnectionError, TimeoutError):
                log.info("console socket went away while sending")
                await self.ws.close()
                return

    async def close(self) -> None:
        self.writer.cancel()
        await asyncio.gather(self.writer, return_exceptions=True)


@dataclass
class _AgentStream:
    next_seq: int = 1
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=BUFFER_PER_AGENT))
    sockets: set[ConsoleSocket] = field(default_factory=set)


class StreamRegistry:
    """The consoles of each agent and their sequenced message history."""

    def __init__(self) -> None:
        self.epoch = secrets.token_hex(4)  # changes when the server restarts
        self._streams: dict[int, _AgentStream] = {}

    def attach(self, user_id: int, ws: web.WebSocketResponse) -> ConsoleSocket:
        console = ConsoleSocket(ws)
        self._streams.setdefault(user_id, _AgentStream()).sockets.add(console)
        return console

    async def detach(self, user_id: int, console: ConsoleSocket) -> None:
        stream = self._streams.get(user_id)
        if stream is not None:
            stream.sockets.discard(console)
        await console.close()

    def has_consoles(self, user_id: int) -> bool:
        stream = self._streams.get(user_id)
        return bool(stream and stream.sockets)

    def console_count(self) -> int:
        return sum(len(s.sockets) for s in self._streams.values())

    def missed(self, user_id: int, epoch: str | None, since: int | None) -> list[str] | None:
        """Messages after `since`, or None when they cannot be replayed (the console must reset)."""
        if epoch != self.epoch or since is None or since < 0:
            return None
        stream = self._streams.get(user_id)
        last = stream.next_seq - 1 if stream else 0
        if since > last:
            return None  # a number this stream never gave out
        if stream is None or since == last:
            return []
        if not stream.buffer or stream.buffer[0][0] > since + 1:
            return None  # the gap fell out of the buffer
        return [text for seq, text in stream.buffer if seq > since]

    def last_seq(self, user_id: int) -> int:
        stream = self._streams.get(user_id)
        return stream.next_seq - 1 if stream else 0

    def push(self, user_id: int, message: dict[str, Any]) -> None:
        """Number the message, remember it, and queue it to every open console of the agent."""
        stream = self._streams.setdefault(user_id, _AgentStream())
        text = json.dumps({**message, "seq": stream.next_seq}, ensure_ascii=False)
        stream.buffer.append((stream.next_seq, text))
        stream.next_seq += 1
        for console in list(stream.sockets):
            console.offer(text)
            if console.dead:
                stream.sockets.discard(console)  # it reconnects and resumes from its last seq

    async def close_user(self, user_id: int) -> None:
        """Close every console of a user (logout, deactivation)."""
        stream = self._streams.get(user_id)
        for console in list(stream.sockets if stream else ()):
            await console.ws.close(code=4401, message=b"signed out")

    async def close_all(self) -> None:
        closing = [c.ws.close(code=1001, message=b"server shutdown") for s in self._streams.values()
                   for c in s.sockets]  # fmt: skip
        await asyncio.gather(*closing, return_exceptions=True)
