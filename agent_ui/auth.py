"""Signing in and out, and the middleware that knows who is asking.

Pages without a session redirect to the login page; API calls get a JSON 401.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

import aiohttp_jinja2
from aiohttp import web

from agent_ui import csrf
from agent_ui.context import LANG_KEY, SERVICES, SESSION_COOKIE, USER_KEY
from agent_ui.errors import json_error, json_object
from agent_ui.i18n import LANG_COOKIE, pick_language, translate

log = logging.getLogger(__name__)
PUBLIC_PATHS = frozenset({"/login", "/api/health", "/api/session"})
PUBLIC_PREFIX = "/static/"
MAX_LOGGED_LOGIN = 64
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[LANG_KEY] = pick_language(request)
    services = request.app[SERVICES]
    user_id = await services.sessions.resolve(request.cookies.get(SESSION_COOKIE))
    user = await services.users.by_id(user_id) if user_id else None
    if user is not None and user.active:
        request[USER_KEY] = user
    elif request.path not in PUBLIC_PATHS and not request.path.startswith(PUBLIC_PREFIX):
        if request.path.startswith(("/api/", "/ws")):
            return json_error(request, 401, "error.unauthenticated")
        raise web.HTTPFound("/login")
    response = await handler(request)
    if "lang" in request.query and request.query["lang"] == request[LANG_KEY]:
        response.set_cookie(LANG_COOKIE, request[LANG_KEY], max_age=365 * 86400, samesite="Lax")
        if user is not None and user.active and user.language != request[LANG_KEY]:
            await services.users.set_language(user.id, request[LANG_KEY])
    return response


@aiohttp_jinja2.template("login.html")
async def login_page(request: web.Request) -> dict[str, object]:
    return {"error": None, "login": ""}


async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    login, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
    lang = request[LANG_KEY]
    if not login or not password:
        ctx = {"error": translate(lang, "login.missing"), "login": login}
        return aiohttp_jinja2.render_template("login.html", request, ctx, status=400)
    user = await request.app[SERVICES].users.authenticate(login, password)
    if user is None:
        log.info("login refused login=%r remote=%s", login[:MAX_LOGGED_LOGIN], request.remote)
        ctx = {"error": translate(lang, "login.failed"), "login": login}
        return aiohttp_jinja2.render_template("login.html", request, ctx, status=401)
    response = _redirect("/")
    await _open_session(request, response, user.id)
    if LANG_COOKIE not in request.cookies and "lang" not in request.query:
        # A browser that never chose: the account's remembered language.
        response.set_cookie(LANG_COOKIE, user.language, max_age=365 * 86400, samesite="Lax")
    return response


async def api_session_create(request: web.Request) -> web.StreamResponse:
    """JSON sign-in for scripts and tests: {"login": ..., "password": ...}."""
    if request.content_type != "application/json":
        # A form or text/plain POST could come from another site's page (login CSRF).
        return json_error(request, 415, "error.bad_request", field="Content-Type")
    body = await json_object(request)
    if isinstance(body, web.Response):
        return body
    for name in ("login", "password"):
        if not isinstance(body.get(name), str) or not body[name]:
            return json_error(request, 400, "login.missing", field=name)
    user = await request.app[SERVICES].users.authenticate(body["login"], body["password"])
    if user is None:
        log.info("login refused login=%r remote=%s", body["login"][:MAX_LOGGED_LOGIN], request.remote)
        return json_error(request, 401, "login.failed")
    response = web.json_response({"id": user.id, "login": user.login, "role": user.role})
    token = await _open_session(request, response, user.id)
    response.text = json.dumps(
        {"id": user.id, "login": user.login, "role": user.role, "csrf_token": csrf.token_for(token)}
    )  # scripts send it back as X-CSRF-Token on every change
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    services = request.app[SERVICES]
    if token:
        await services.sessions.close(token)
    user = request.get(USER_KEY)
    if user is not None:
        await services.hub.streams.close_user(user.id)  # open consoles stop receiving cards too
    response = _redirect("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def _open_session(request: web.Request, response: web.StreamResponse, user_id: int) -> str:
    services = request.app[SERVICES]
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await services.sessions.close(old)  # a new session at every login
    token = await services.sessions.open(user_id)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=services.secure_cookies,
        path="/",
    )
    return token


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})
