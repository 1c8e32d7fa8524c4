"""Builds the aiohttp application: routes, templates, middlewares. No I/O happens here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from agent_ui import (
    admin,
    api_v1,
    auth,
    calls_api,
    campaigns,
    console,
    history,
    pages,
    security,
    supervisor,
    wallboard,
    ws,
)
from agent_ui.context import SERVICES, UiServices
from agent_ui.csrf import csrf_protect
from agent_ui.errors import busy_error, json_error
from agent_ui.session_watch import SESSION_WATCH, SessionWatch
from crm_core.db import is_busy

log = logging.getLogger(__name__)
_HERE = Path(__file__).parent
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@web.middleware
async def front_door(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request's way in: the session (agent_ui.auth), security headers on every answer
    (redirects and 404s too), and an unexpected failure under /api/ logged and answered in JSON,
    never an HTML trace. One middleware, not three: its frame stays alive as long as each open
    WebSocket (BENCHMARKS.md d)."""
    try:
        response = await auth.open_session(request)
        if response is None:
            response = await handler(request)
            await auth.remember_language(request, response)
    except web.HTTPException as exc:
        _decorate(request, exc)
        raise
    except Exception as error:
        response = _failure(request, error)
    _decorate(request, response)
    return response


def _failure(request: web.Request, error: Exception) -> web.Response:
    """The JSON answer to an unexpected failure; re-raises it outside /api/ (aiohttp's 500 page)."""
    if is_busy(error):  # a lock held past the busy time-out: 503 + Retry-After, nothing written
        log.warning("database busy path=%s error=%s", request.path, type(error).__name__)
        return busy_error(request)
    if not request.path.startswith("/api/"):
        raise error
    log.exception("API request failed path=%s", request.path)
    return json_error(request, 500, "error.internal")


def _decorate(request: web.Request, response: web.StreamResponse) -> None:
    if response.prepared:
        return  # a WebSocket or stream already sent its headers
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")


def create_app(services: UiServices) -> web.Application:
    app = web.Application(middlewares=[front_door])
    app[SERVICES] = services
    security.install(app)  # default limits; the composition root installs [security]'s
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    # After the session middleware (which gives each request its page context): a CSRF refusal
    # renders a full page.
    app.middlewares.append(csrf_protect)
    app.router.add_get("/", pages.console_page)
    app.router.add_get("/login", auth.login_page)
    app.router.add_post("/login", auth.login_submit)
    app.router.add_post("/logout", auth.logout)
    app.router.add_get("/ws", ws.console_socket)
    app.router.add_get("/api/health", pages.api_health)
    app.router.add_post("/api/session", auth.api_session_create)
    app.router.add_get("/api/me", pages.api_me)
    app.router.add_get("/api/customers/lookup", pages.api_customer_card)
    app.router.add_post("/api/calls/dial", calls_api.dial)
    app.router.add_post("/api/calls/{id}/disposition", calls_api.disposition)
    app.router.add_static("/static/", _HERE / "static")
    api_v1.setup(app, services.crm)
    for room in (console, wallboard, admin, supervisor, history, campaigns):
        room.setup(app)

    app[SESSION_WATCH] = SessionWatch(services.sessions)

    async def close_sockets(_app: web.Application) -> None:
        await app[SESSION_WATCH].stop()
        await services.hub.close_all()

    app.on_shutdown.append(close_sockets)
    return app
