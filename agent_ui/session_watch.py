"""One watcher for every open socket (consoles and wallboards): their sessions and their liveness,
checked by two tasks in all instead of aiohttp's heartbeat timer and a session task per socket,
so an idle console costs no task and no timer (BENCHMARKS.md d).

- Sessions: each round refreshes the idle clock of every session still open behind a socket,
  and closes the sockets whose session ended (signed out elsewhere, expired, user deactivated)
  or whose user may no longer see what the socket shows.
- Liveness: every socket is pinged each heartbeat; one not heard from (a pong or any message)
  for two heartbeats and a grace is closed, so a console on a laptop that went to sleep does not
  hold its socket for hours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from crm_core.sessions import SessionService

log = logging.getLogger(__name__)
SESSION_CHECK_SECONDS = 60.0
HEARTBEAT_SECONDS = 20.0
SILENT_HEARTBEATS = 2  # heartbeats without a word from the peer before its socket is closed
GRACE_SECONDS = 5.0
CLOSE_SECONDS = 5.0  # a close handshake a frozen peer does not answer is cut off after this

# The user behind the socket's session (None: the session ended) -> (close code, reason) or None to keep it.
Verdict = Callable[[int | None], Awaitable[tuple[int, bytes] | None]]


async def signed_in(user_id: int | None) -> tuple[int, bytes] | None:
    """The console's verdict: open while its session is."""
    return None if user_id is not None else (4401, b"session ended")


def socket_options(max_msg_size: int) -> dict[str, Any]:
    """WebSocketResponse options for a watched socket: the watcher pings (no timer per socket), pongs
    reach listen(), no per-message compression (a zlib state per socket costs ~180 KB)."""
    return {
        "heartbeat": None,
        "autoping": False,
        "max_msg_size": max_msg_size,
        "timeout": 2.0,
        "compress": False,
    }


class _Watched:
    __slots__ = ("heard", "token", "transport", "verdict", "ws")

    def __init__(
        self, ws: web.WebSocketResponse, token: str | None, verdict: Verdict, transport: Any, now: float
    ) -> None:
        self.ws, self.token, self.verdict, self.transport, self.heard = ws, token, verdict, transport, now


class SessionWatch:
    def __init__(self, sessions: SessionService) -> None:
        self.sessions = sessions
        self._open: dict[int, _Watched] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._closing: set[asyncio.Task[None]] = set()

    def watch(
        self,
        ws: web.WebSocketResponse,
        token: str | None,
        verdict: Verdict = signed_in,
        transport: asyncio.BaseTransport | None = None,
    ) -> None:
        """Watch ws (its session token; transport: to cut a peer that never answers a close)."""
        loop = asyncio.get_running_loop()
        self._open[id(ws)] = _Watched(ws, token, verdict, transport, loop.time())
        if not self._tasks:
            self._tasks = [
                loop.create_task(
                    self._every(lambda: SESSION_CHECK_SECONDS, self.check), name="session-watch"
                ),
                loop.create_task(
                    self._every(lambda: HEARTBEAT_SECONDS, self.heartbeat), name="socket-heartbeat"
                ),
            ]

    def unwatch(self, ws: web.WebSocketResponse) -> None:
        self._open.pop(id(ws), None)

    def heard(self, ws: web.WebSocketResponse) -> None:
        entry = self._open.get(id(ws))
        if entry is not None:
            entry.heard = asyncio.get_running_loop().time()

    async def listen(self, ws: web.WebSocketResponse) -> None:
        """Read the socket until it closes: the app's "ping" is answered "pong", a protocol ping its
        pong, and anything heard shows the peer is alive."""
        async for msg in ws:
            self.heard(ws)
            if msg.type == WSMsgType.TEXT and msg.data == "ping":
                await ws.send_str("pong")
            elif msg.type == WSMsgType.PING:
                await ws.pong(msg.data)

    async def stop(self) -> None:
        """Shutdown: the two loops end, closes under way finish (each is bounded)."""
        self._open.clear()  # a loop waking now ends; a socket arriving this late is not watched
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, *self._closing, return_exceptions=True)

    async def _every(
        self, seconds: Callable[[], float], job: Callable[[], Coroutine[Any, Any, None]]
    ) -> None:
        """Run job every seconds() (read each round: a test may shorten it) while a socket is open."""
        try:
            while self._open:
                await asyncio.sleep(seconds())
                try:
                    await job()
                except Exception:  # a busy or unreachable database: every socket stays, next round retries
                    log.warning("%s failed; retrying next round", job.__name__, exc_info=True)
        finally:
            me = asyncio.current_task()
            if (
                me in self._tasks
            ):  # the last socket went: the other loop ends too (a new socket restarts both)
                others, self._tasks = [task for task in self._tasks if task is not me], []
                for task in others:
                    task.cancel()

    async def check(self) -> None:
        """One round of sessions: refresh the live ones, close the sockets whose verdict says so."""
        sockets = [entry for entry in self._open.values() if not entry.ws.closed]
        live = await self.sessions.resolve_many({entry.token for entry in sockets if entry.token})
        for entry in sockets:
            try:
                reason = await entry.verdict(live.get(entry.token) if entry.token else None)
            except Exception:  # one socket's failed check must not skip the others this round
                log.warning(
                    "session check of one socket failed; it is checked again next round", exc_info=True
                )
                continue
            if reason is not None:
                self._close(entry, *reason)

    async def heartbeat(self) -> None:
        """One round of liveness: ping every socket; close those silent for too long."""
        silent_since = (
            asyncio.get_running_loop().time() - SILENT_HEARTBEATS * HEARTBEAT_SECONDS - GRACE_SECONDS
        )
        for entry in list(self._open.values()):
            if entry.ws.closed:
                continue
            if entry.heard < silent_since:
                log.info("closing a socket silent for %d heartbeats", SILENT_HEARTBEATS)
                self._close(entry, WSCloseCode.GOING_AWAY, b"no answer to pings")
            elif not _write_ping(entry.transport):
                self._close(entry, WSCloseCode.GOING_AWAY, b"socket not writable")

    def _close(self, entry: _Watched, code: int, message: bytes) -> None:
        """Close in a task of its own, bounded: a peer that stopped reading never lets a close
        handshake finish, and must not hold up the round for every other socket."""
        task = asyncio.get_running_loop().create_task(_close_within(entry, code, message, CLOSE_SECONDS))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


def _write_ping(transport: Any) -> bool:
    """An empty ping frame (RFC 6455 5.5.2), written without waiting: a peer that stopped reading
    shows as a growing buffer, never as a ping waiting forever. False when the socket is gone."""
    if transport is None or transport.is_closing():
        return transport is None  # no transport given (a test's socket): nothing to ping with
    transport.write(b"\x89\x00")
    return True


async def _close_within(entry: _Watched, code: int, message: bytes, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await entry.ws.close(code=code, message=message)
    except Exception:  # timed out or already broken: cut the connection
        if entry.transport is not None:
            entry.transport.abort()


SESSION_WATCH = web.AppKey("session_watch", SessionWatch)
