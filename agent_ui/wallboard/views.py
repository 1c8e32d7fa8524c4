"""The wallboard page and its WebSocket, /wallboard and /ws/wallboard (supervisors and administrators).

The page is only a frame: the board arrives over the socket, a snapshot on connect and
deltas after it, so there is no polling and a reconnecting screen is current at once.
The handshake is refused before the upgrade (a plain 403, audited) for another site's
page, or for a signed-in user who is not a supervisor or an administrator.
"""

from __future__ import annotations

import logging

import aiohttp_jinja2
from aiohttp import web

from agent_ui.access import SUPERVISING, refuse, require
from agent_ui.context import SERVICES, SESSION_COOKIE, UiServices, current_user
from agent_ui.csrf import same_origin
from agent_ui.session_watch import SESSION_WATCH, Verdict, socket_options
from agent_ui.wallboard.hub import WALLBOARD, team_of
from agent_ui.wallboard.render import audience_for

log = logging.getLogger(__name__)
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
    ws = web.WebSocketResponse(**socket_options(max_msg_size=MAX_INBOUND_BYTES))
    await ws.prepare(request)
    audience = audience_for(user.role, team_of(user))
    screen = hub.attach(ws, audience, user.id, request.transport)  # type: ignore[arg-type]
    watch = request.app[SESSION_WATCH]
    verdict = _may_still_see(request.app[SERVICES], audience.key)
    watch.watch(ws, request.cookies.get(SESSION_COOKIE), verdict, request.transport)
    try:
        await watch.listen(ws)
    finally:
        watch.unwatch(ws)
        await hub.detach(screen)
    return ws


def _may_still_see(services: UiServices, audience: str) -> Verdict:
    """A wallboard stays open all day: it closes when its session ends or its user may no longer
    see what it shows (deactivated, made an agent, moved to another team, no longer an
    administrator); the screen reconnects with what they may see now."""

    async def verdict(user_id: int | None) -> tuple[int, bytes] | None:
        user = await services.users.by_id(user_id) if user_id else None
        if user is None or not user.active or user.role not in SUPERVISING:
            return (4401, b"session ended")
        if audience_for(user.role, team_of(user)).key != audience:
            return (4409, b"role or team changed")
        return None

    return verdict
