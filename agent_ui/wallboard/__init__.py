"""The live wallboard: every seat and queue, pushed to supervisors' screens over a WebSocket.

board.py keeps the state from the bus's domain events (pure), render.py turns it into
what a screen is sent, hub.py fans changes out to the screens, views.py is the page and
the socket. Registered by agent_ui.app through setup().
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from agent_ui.context import SERVICES
from agent_ui.wallboard.alerts import Thresholds
from agent_ui.wallboard.hub import WALLBOARD, WallboardHub
from agent_ui.wallboard.views import wallboard_page, wallboard_socket

__all__ = ["Thresholds", "WallboardHub", "setup"]


def setup(app: web.Application) -> None:
    """/wallboard and /ws/wallboard; open screens are closed when the server shuts down.

    An app built without the composition root (some tests) gets a hub nobody feeds: the
    routes behave the same, the board just stays empty.
    """
    services = app[SERVICES]
    hub = services.wallboard or WallboardHub(services.users, services.customers)
    app[WALLBOARD] = hub
    app.router.add_get("/wallboard", wallboard_page)
    app.router.add_get("/ws/wallboard", wallboard_socket)

    async def close_screens(_app: web.Application) -> None:
        await hub.close_all()

    async def ticker(_app: web.Application) -> AsyncIterator[None]:
        """Alerts and today's figures move with the clock too: the app owns the task that ticks them."""
        task = asyncio.create_task(hub.run_ticker(), name="wallboard-ticker")
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    app.on_shutdown.append(close_screens)
    app.cleanup_ctx.append(ticker)
