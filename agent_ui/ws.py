"""One WebSocket per console: the server pushes pops, call states and seat state down it.

A console reconnecting passes ?stream=<epoch>&since=<last seq> and gets what it missed.
"""

from __future__ import annotations

import logging

from aiohttp import web

from agent_ui.access import refuse
from agent_ui.context import SERVICES, SESSION_COOKIE, current_user
from agent_ui.csrf import same_origin
from agent_ui.session_watch import SESSION_WATCH, socket_options

log = logging.getLogger(__name__)


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
    # No per-message compression (its zlib state costs ~180 KB per console, and pop-ups are small),
    # no heartbeat timer of its own (the watcher pings every socket). See BENCHMARKS.md (d).
    ws = web.WebSocketResponse(**socket_options(max_msg_size=64 * 1024))
    await ws.prepare(request)
    hub = request.app[SERVICES].hub
    console = hub.attach(user, ws, request.query.get("stream"), _since(request), request.transport)
    watch = request.app[SESSION_WATCH]
    # The watcher keeps the session alive, closes ws when it ends, and pings it.
    watch.watch(ws, request.cookies.get(SESSION_COOKIE), transport=request.transport)
    try:
        await watch.listen(ws)
    finally:
        watch.unwatch(ws)
        await hub.detach(user.id, console)
    return ws
