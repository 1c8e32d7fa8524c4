"""Per-agent message streams with sequence numbers, so a console that reconnects catches up.

Every message to an agent gets the next number of that agent's stream and is kept
in a short ring buffer. A console reconnecting with (stream epoch, last number)
gets exactly what it missed; one whose gap is no longer in the buffer (or that
talks to a restarted server: another epoch) is told to reset and gets a snapshot.

While a socket keeps up (nothing queued, little unsent), a message is written at once as a
ready-made WebSocket frame: no task wake-up per message, and a wallboard update is framed
once for all its screens. A socket that falls behind gets a bounded backlog and a writer
task until it has caught up: pushing never waits on a socket, so one console that stops
reading cannot delay anybody's pop-up. A console whose backlog overflows is disconnected;
it reconnects and resumes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import struct
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from crm_core.metrics import observe_popup

log = logging.getLogger(__name__)
BUFFER_PER_AGENT = 200
BACKLOG_PER_SOCKET = 256
SEND_TIMEOUT = 5.0
DIRECT_WRITE_LIMIT = 64 * 1024  # unsent bytes past which a socket's messages wait in its backlog


def text_frame(text: str) -> bytes:
    """One final, unmasked, uncompressed WebSocket text frame (RFC 6455 section 5.2), as aiohttp
    writes it for a server socket without compression; built once, written to many sockets."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


class ConsoleSocket:
    """One open console: its socket and, only while it has a backlog, the queue and the task
    that drain it (nothing per console otherwise: ~20 KB is the budget, BENCHMARKS.md d)."""

    __slots__ = ("_closing", "backlog", "dead", "transport", "writer", "ws")

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None = None) -> None:
        self.ws = ws
        self.transport = transport  # given (and the socket uncompressed): messages may be written at once
        # (text, when its cause arrived from the PBX: pop-ups only, for the latency histogram)
        self.backlog: deque[tuple[str, float | None]] | None = None
        self.writer: asyncio.Task[None] | None = None  # alive while the backlog is being sent
        self.dead = False
        self._closing: asyncio.Task[None] | None = None

    def offer(self, text: str, stamp: float | None = None, frame: bytes | None = None) -> None:
        """Send text (frame: the same, already framed); stamp: when its cause arrived (pop-ups)."""
        if self.dead or self.ws.closed:
            return  # kept in the agent's stream buffer: the console resumes from it on reconnecting
        if self.writer is None and self._write_now(text, frame):
            if stamp is not None:
                observe_popup(stamp)
            return
        backlog = self.backlog
        if backlog is None:
            backlog = self.backlog = deque()
        if len(backlog) >= BACKLOG_PER_SOCKET:
            log.warning("console too slow, disconnecting it so it resumes")
            self.dead = True
            if self.writer is not None:
                self.writer.cancel()
            self._closing = asyncio.get_running_loop().create_task(self._close_slow())
            return
        backlog.append((text, stamp))
        if self.writer is None:
            self.writer = asyncio.get_running_loop().create_task(self._drain(), name="console-writer")

    def _write_now(self, text: str, frame: bytes | None) -> bool:
        """Write straight to the transport when the socket keeps up (the caller checked that
        nothing is queued or being sent, so the order is kept)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return False
        if transport.get_write_buffer_size() > DIRECT_WRITE_LIMIT:
            return False
        transport.write(frame if frame is not None else text_frame(text))
        return True

    async def _close_slow(self) -> None:
        try:
            await self.ws.close(code=1013, message=b"too slow")
        except Exception:
            log.info("slow console was already gone")

    async def _drain(self) -> None:
        backlog = self.backlog
        try:
            while backlog and not self.ws.closed:
                text, stamp = backlog.popleft()
                async with asyncio.timeout(SEND_TIMEOUT):  # no task per message, unlike wait_for
                    await self.ws.send_str(text)
                if stamp is not None:
                    observe_popup(stamp)
        except (ConnectionError, TimeoutError):
            log.info("console socket went away while sending")
            await self.ws.close()
        finally:
            self.writer = None
            if not backlog:
                self.backlog = None  # the memory goes back until the next backlog

    async def close(self) -> None:
        writer = self.writer
        if writer is not None:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)


@dataclass(slots=True)
class _AgentStream:
    next_seq: int = 1
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=BUFFER_PER_AGENT))
    sockets: list[ConsoleSocket] = field(default_factory=list)  # one or two: a list is the smallest


def _discard(sockets: list[ConsoleSocket], console: ConsoleSocket) -> None:
    if console in sockets:
        sockets.remove(console)


class StreamRegistry:
    """The consoles of each agent and their sequenced message history."""

    def __init__(self) -> None:
        self.epoch = secrets.token_hex(4)  # changes when the server restarts
        self._streams: dict[int, _AgentStream] = {}

    def attach(
        self, user_id: int, ws: web.WebSocketResponse, transport: asyncio.Transport | None = None
    ) -> ConsoleSocket:
        console = ConsoleSocket(ws, transport)
        self._streams.setdefault(user_id, _AgentStream()).sockets.append(console)
        return console

    async def detach(self, user_id: int, console: ConsoleSocket) -> None:
        stream = self._streams.get(user_id)
        if stream is not None:
            _discard(stream.sockets, console)
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

    def push(self, user_id: int, message: dict[str, Any], stamp: float | None = None) -> None:
        """Number the message, remember it, and queue it to every open console of the agent."""
        stream = self._streams.setdefault(user_id, _AgentStream())
        text = json.dumps({**message, "seq": stream.next_seq}, ensure_ascii=False)
        stream.buffer.append((stream.next_seq, text))
        stream.next_seq += 1
        for console in list(stream.sockets):
            console.offer(text, stamp)
            if console.dead:
                _discard(stream.sockets, console)  # it reconnects and resumes from its last seq

    async def close_user(self, user_id: int) -> None:
        """Close every console of a user (logout, deactivation)."""
        stream = self._streams.get(user_id)
        for console in list(stream.sockets if stream else ()):
            await console.ws.close(code=4401, message=b"signed out")

    async def close_all(self) -> None:
        closing = [c.ws.close(code=1001, message=b"server shutdown") for s in self._streams.values()
                   for c in s.sockets]  # fmt: skip
        await asyncio.gather(*closing, return_exceptions=True)
