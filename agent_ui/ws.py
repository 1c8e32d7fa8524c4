"""One WebSocket per console: the server pushes pops, call states and seat state down it.

A console reconnecting passes ?stream=<epoch>&since=<last seq> and gets what it missed.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import WSMsgType, web

from agent_ui.access import refuse
from agent_ui.context import SERVICES, SESSION_COOKIE, current_user
from agent_ui.csrf import same_origin

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 20.0
SESSION_CHECK_SECONDS = 60.0


def _same_origin(request: web.Request) -> bool:
    """Browsers always send Origin on a WebSocket handshake; refuse other sites' pages."""
    origin = request.headers.get("Origin")
    return origin is None or same_origin(request, origin)  # no Origin: a script; the session still gates it


def _since(request: web.Request) -> int | None:
    raw = request.query.get("since", "")
    return int(raw) if raw.isdigit() else None


async def console_socket(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    assert user is not None
    if not _same_origin(request):
        log.warning("websocket refused: foreign origin user=%s", user.id)
        return await refuse(request, "origin")  # audited like every refused access
    # No per-message compression: its zlib state costs ~180 KB per console (1,000 consoles: 180 MB),
    # and pop-ups are small. See BENCHMARKS.md (d).
    ws = web.WebSocketResponse(
        heartbeat=HEARTBEAT_SECONDS, max_msg_size=64 * 1024, timeout=2.0, compress=False
    )
    await ws.prepare(request)
    hub = request.app[SERVICES].hub
    console = hub.attach(user, ws, request.query.get("stream"), _since(request), request.transport)
    keeper = asyncio.create_task(_keep_session(request, ws), name="console-session")
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and msg.data == "ping":
                await ws.send_str("pong")
    finally:
        keeper.cancel()
        await hub.detach(user.id, console)
    return ws


async def _keep_session(request: web.Request, ws: web.WebSocketResponse) -> None:
    """An open console is activity: it keeps its session alive, and ends when the session does."""
    sessions = request.app[SERVICES].sessions
    token = request.cookies.get(SESSION_COOKIE)
    while not ws.closed:
        await asyncio.sleep(SESSION_CHECK_SECONDS)
        if await sessions.resolve(token) is None:
            await ws.close(code=4401, message=b"session ended")
            return
