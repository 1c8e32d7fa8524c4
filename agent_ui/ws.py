"""One WebSocket per console: the server pushes pops and call states down it."""

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
    return URL(origin).host == request.url.host and URL(origin).port == request.url.port


async def console_socket(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    assert user is not None
    if not _same_origin(request):
        log.warning("websocket refused: foreign origin user=%s", user.id)
        return json_error(request, 403, "error.forbidden")
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=64 * 1024)
    await ws.prepare(request)
    hub = request.app[SERVICES].hub
    await ws.send_json({"type": "hello", "user": user.login})
    await hub.attach(user.id, ws)
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and msg.data == "ping":
                await ws.send_str("pong")
    finally:
        hub.detach(user.id, ws)
    return ws
