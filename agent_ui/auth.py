"""Signing in and out, and the middleware that knows who is asking.

Pages without a session redirect to the login page; API calls get a JSON 401.
"""

from __future__ import annotations

import json
import logging

import aiohttp_jinja2
from aiohttp import web

from agent_ui import csrf, page_context
from agent_ui.context import LANG_KEY, SERVICES, SESSION_COOKIE, USER_KEY
from agent_ui.errors import json_error, json_object
from agent_ui.i18n import LANG_COOKIE, pick_language, translate
from agent_ui.security import SECURITY, client_address, served_over_tls
from agent_ui.security import audit as security_audit
from agent_ui.security.throttle import Locked
from crm_core.users import UserView

log = logging.getLogger(__name__)
PUBLIC_PATHS = frozenset({"/login", "/api/health", "/api/session", "/metrics"})  # /metrics: own check
PUBLIC_PREFIX = "/static/"
MAX_LOGGED_LOGIN = 64


async def open_session(request: web.Request) -> web.StreamResponse | None:
    """Before the handler (agent_ui.app.front_door): the language, the page context and the signed-in
    user; an answer instead of the handler for someone signed out (401 under /api/ and /ws, else the
    sign-in page)."""
    request[LANG_KEY] = pick_language(request)
    page_context.install(request)  # before csrf_protect: its refusal renders a full page
    services = request.app[SERVICES]
    user_id = await services.sessions.resolve(request.cookies.get(SESSION_COOKIE))
    user = await services.users.by_id(user_id) if user_id else None
    if user is not None and user.active:
        request[USER_KEY] = user
    elif request.path not in PUBLIC_PATHS and not request.path.startswith(PUBLIC_PREFIX):
        if request.path.startswith(("/api/", "/ws")):
            return json_error(request, 401, "error.unauthenticated")
        raise web.HTTPFound("/login")
    return None


async def remember_language(request: web.Request, response: web.StreamResponse) -> None:
    """After the handler: a language picked with ?lang= is kept (cookie, and the user's profile)."""
    if "lang" in request.query and request.query["lang"] == request[LANG_KEY]:
        _set_lang_cookie(request, response, request[LANG_KEY])
        user = request.get(USER_KEY)
        if user is not None and user.language != request[LANG_KEY]:
            await request.app[SERVICES].users.set_language(user.id, request[LANG_KEY])


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
    outcome = await _authenticate(request, login, password, "form")
    if not isinstance(outcome, UserView):
        status = 401 if outcome is None else 429
        ctx = {"error": _failure_text(lang, outcome), "login": login}
        response = aiohttp_jinja2.render_template("login.html", request, ctx, status=status)
        if isinstance(outcome, Locked):
            response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    response = _redirect("/")
    await _open_session(request, response, outcome.id)
    if LANG_COOKIE not in request.cookies and "lang" not in request.query:
        # A browser that never chose: the account's remembered language.
        _set_lang_cookie(request, response, outcome.language)
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
    outcome = await _authenticate(request, body["login"], body["password"], "api")
    if outcome is None:
        return json_error(request, 401, "login.failed")
    if isinstance(outcome, Locked):
        refusal: dict[str, object] = {"error": "login.throttled"}
        refusal["message"] = _failure_text(request[LANG_KEY], outcome)
        refusal["retry_after"] = outcome.retry_after
        headers = {"Retry-After": str(outcome.retry_after)}
        return web.json_response(refusal, status=429, headers=headers, dumps=_dumps)
    user = outcome
    response = web.Response(content_type="application/json")
    token = await _open_session(request, response, user.id)
    response.text = json.dumps(
        {"id": user.id, "login": user.login, "role": user.role, "csrf_token": csrf.token_for(token)}
    )  # scripts send it back as X-CSRF-Token on every change
    return response


async def _authenticate(
    request: web.Request, login: str, password: str, via: str
) -> UserView | Locked | None:
    """The user, None for a wrong login or password, or Locked: too many failures lately.

    While locked the password is not even checked, so a right guess looks like a wrong one.
    """
    throttle = request.app[SECURITY].throttle
    remote = client_address(request)
    attempt = throttle.begin(login, remote)
    if isinstance(attempt, Locked):
        log.info(
            "login throttled scope=%s login=%r remote=%s", attempt.scope, login[:MAX_LOGGED_LOGIN], remote
        )
        return attempt
    user = await request.app[SERVICES].users.authenticate(login, password)
    if user is None:
        log.info("login refused login=%r remote=%s", login[:MAX_LOGGED_LOGIN], remote)
        await security_audit.login_failed(request, login, via=via, locks=attempt.reached_limit)
        return None
    throttle.succeeded(attempt)
    await security_audit.note(request, user, user.id, "login", via=via)
    return user


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)


def _failure_text(lang: str, outcome: Locked | None) -> str:
    if outcome is None:
        return translate(lang, "login.failed")
    return translate(lang, "login.throttled").replace("{seconds}", str(outcome.retry_after))


async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    services = request.app[SERVICES]
    if token:
        await services.sessions.close(token)
    user = request.get(USER_KEY)
    if user is not None:
        await services.hub.streams.close_user(user.id)  # open consoles stop receiving cards too
        if services.wallboard is not None:
            await services.wallboard.close_user(user.id)
        await security_audit.note(request, user, user.id, "logout")
    response = _redirect("/login")
    response.del_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="Strict", secure=_secure(request) or None
    )
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
        httponly=True,  # scripts never see it: the CSRF token is derived from it, not it
        samesite="Strict",
        secure=_secure(request),
        path="/",
    )
    return token


def _secure(request: web.Request) -> bool:
    services = request.app[SERVICES]
    return served_over_tls(request, services.secure_cookies, services.public_origin)


def _set_lang_cookie(request: web.Request, response: web.StreamResponse, lang: str) -> None:
    response.set_cookie(
        LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax", secure=_secure(request), path="/"
    )


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})
