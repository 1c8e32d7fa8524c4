"""Cross-site request forgery protection for every state-changing request.

A signed-in browser's unsafe request (POST, PUT, PATCH, DELETE) must carry the session's
CSRF token in the `X-CSRF-Token` header (scripts) or the `_csrf` form field (plain forms).
The token is an HMAC of the session token, which is secret and HttpOnly: another site can
neither read nor compute it, and it changes with every new session. The SameSite cookie and
the Origin check are a second line, not the only one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web
from markupsafe import Markup, escape
from yarl import URL

from agent_ui.context import SERVICES, SESSION_COOKIE, USER_KEY

HEADER = "X-CSRF-Token"
FORM_FIELD = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
SIGN_IN_PATHS = frozenset({"/login", "/api/session"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def token_for(session_token: str) -> str:
    digest = hmac.new(session_token.encode(), b"csrf-v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def request_token(request: web.Request) -> str:
    """The CSRF token of this request's session ("" when signed out)."""
    session = request.cookies.get(SESSION_COOKIE)
    return token_for(session) if session and USER_KEY in request else ""


def csrf_field(request: web.Request) -> Markup:
    """The hidden form field every template form carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FORM_FIELD, escape(request_token(request))
    )


def same_origin(request: web.Request, origin: str) -> bool:
    """Origin names this site: the configured public origin behind a proxy, else the request's own."""
    public = request.app[SERVICES].public_origin
    if public:
        return origin.rstrip("/") == public.rstrip("/")
    try:
        url = URL(origin)
    except ValueError:
        return False
    here = request.url  # scheme, host and port: an origin is all three
    return (url.scheme, url.host, url.port) == (here.scheme, here.host, here.port)


async def _sent_token(request: web.Request) -> str:
    sent = request.headers.get(HEADER, "")
    if not sent and request.content_type in FORM_TYPES:
        form = await request.post()  # aiohttp keeps the parsed form: the handler reads it again for free
        sent = str(form.get(FORM_FIELD, ""))
    return sent


@web.middleware
def csrf_protect(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """Refuse unsafe requests from other sites; runs after the session middleware. A safe request
    is handed on as it is, not awaited here: no frame of ours stays alive beside an open WebSocket."""
    if request.method in SAFE_METHODS:
        return handler(request)
    return _unsafe_checked(request, handler)


async def _unsafe_checked(request: web.Request, handler: Handler) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if origin is not None and not same_origin(request, origin):  # "null" (sandboxed pages) too
        return await _refused(request, "origin")
    if USER_KEY in request and request.path not in SIGN_IN_PATHS:
        # Signed out, only the public sign-in routes get this far; signing in again while a
        # session lives needs the password, not a token (and its Origin was checked above).
        expected = request_token(request)
        if not hmac.compare_digest((await _sent_token(request)).encode(), expected.encode()):
            return await _refused(request, "token")
    return await handler(request)


async def _refused(request: web.Request, why: str) -> web.StreamResponse:
    from agent_ui.access import refuse  # access renders pages; it imports this module's helpers

    return await refuse(request, f"csrf.{why}", key="error.csrf")
