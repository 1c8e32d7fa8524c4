"""The wallboard page and its WebSocket, /wallboard and /ws/wallboard (supervisors and administrators).

The page is only a frame: the board arrives over the socket, a snapshot on connect and
deltas after it, so there is no polling and a reconnecting screen is current at once.
The handshake is refused before the upgrade (a plain 403, audited) for another site's
page, or for a signed-in user who is not a supervisor or an administrator.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp_jinja2
from aiohttp import WSMsgType, web

from agent_ui.access import SUPERVISING, refuse, require
from agent_ui.context import SERVICES, SESSION_COOKIE, current_user
from agent_ui.csrf import same_origin
from agent_ui.wallboard.hub import WALLBOARD, team_of
from agent_ui.wallboard.render import audience_for

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 20.0
SESSION_CHECK_SECONDS = 60.0
MAX_INBOUND_BYTES = 1024  # a screen only ever sends "ping"


@require(*SUPERVISING)
async def wallboard_page(request: web.Request) -> web.StreamResponse:
    return aiohttp_jinja2.render_template("wallboard.html", request, {})


@require(*SUPERVISING)
async def wallboard_socket(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    assert user is not None  # require() lets no anonymous request through
    origin = request.headers.get("Origin")  # browsers always send it; a script without one has the session
    if origin is not None and not same_origin(request, origin):
        return await refuse(request, "origin")
    hub = request.app[WALLBOARD]
    # No per-message compression: it would be done again for every screen, undoing the one encode per update.
    ws = web.WebSocketResponse(
        heartbeat=HEARTBEAT_SECONDS, max_msg_size=MAX_INBOUND_BYTES, timeout=2.0, compress=False
    )
    await ws.prepare(request)
    audience = audience_for(user.role, team_of(user))
    screen = hub.attach(ws, audience, user.id, request.transport)  # type: ignore[arg-type]
    keeper = asyncio.create_task(_keep_session(request, ws, audience.key), name="wallboard-session")
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and msg.data == "ping":
                await ws.send_str("pong")
    finally:
        keeper.cancel()
        await hub.detach(screen)
    return ws


async def _keep_session(request: web.Request, ws: web.WebSocketResponse, audience: str) -> None:
    """A wallboard stays open all day: it keeps its session alive, and closes when the session
    ends or its user may no longer see what it shows (deactivated, made an agent, moved to another
    team, no longer an administrator); the screen reconnects with what they may see now."""
    services = request.app[SERVICES]
    token = request.cookies.get(SESSION_COOKIE)
    while not ws.closed:
        await asyncio.sleep(SESSION_CHECK_SECONDS)
        user_id = await services.sessions.resolve(token)
        user = await services.users.by_id(user_id) if user_id else None
        if user is None or not user.active or user.role not in SUPERVISING:
            await ws.close(code=4401, message=b"session ended")
            return
        if audience_for(user.role, team_of(user)).key != audience:
            await ws.close(code=4409, message=b"role or team changed")
            return
