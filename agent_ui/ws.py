"""One WebSocket per console: the server pushes pops, call states and seat state down it.

A console reconnecting passes ?stream=<epoch>&since=<last seq> and gets what it missed.
"""

from __future__ import annotations

import logging

from aiohttp import WSMsgType, web
from yarl import URL

from agent_ui.context import SERVICES, current_user
from agent_ui.errors import json_error

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 20.0


def _same_origin(request: web.Request) -> bool:
    """Browsers always send Origin on a WebSocket handshake; refuse other sites' pages."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser (scripts, tests): the session cookie still gates it
    url = URL(origin)
    return (url.host, url.port) == (request.url.host, request.url.port)


def _since(request: web.Request) -> int | None:
    raw = request.query.get("since", "")
    return int(raw) if raw.isdigit() else None


async def console_socket(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    assert user is not None
    if not _same_origin(request):
        log.warning("websocket refused: foreign origin user=%s", user.id)
        return json_error(request, 403, "error.forbidden")
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=64 * 1024, timeout=2.0)
    await ws.prepare(request)
    hub = request.app[SERVICES].hub
    console = hub.attach(user, ws, request.query.get("stream"), _since(request))
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and msg.data == "ping":
                await ws.send_str("pong")
    finally:
        await hub.detach(user.id, console)
    return ws
