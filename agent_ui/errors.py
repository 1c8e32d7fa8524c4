"""JSON errors that name what was wrong, in the caller's language, never a bare 500."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.context import LANG_KEY
from agent_ui.i18n import DEFAULT_LANGUAGE, translate

RETRY_AFTER_SECONDS = 2  # about the database's busy time-out: the lock is usually gone by then


def json_error(
    request: web.Request, status: int, key: str, field: str | None = None, **extra: Any
) -> web.Response:
    lang = request.get(LANG_KEY, DEFAULT_LANGUAGE)
    body: dict[str, Any] = {"error": key, "message": translate(lang, key), **extra}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status)


async def json_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The request body as a JSON object, or the 400 answer that says it is not one."""
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return json_error(request, 400, "error.bad_request", field="body")
    if not isinstance(body, dict):
        return json_error(request, 400, "error.bad_request", field="body")
    return body


def busy_error(request: web.Request) -> web.Response:
    """503 while the database is locked past its time-out: nothing was written, the same request
    may be sent again after Retry-After seconds (JSON under /api/, a short text for pages)."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if not request.path.startswith("/api/"):
        lang = request.get(LANG_KEY, DEFAULT_LANGUAGE)
        return web.Response(status=503, text=translate(lang, "error.busy"), headers=headers)
    response = json_error(request, 503, "error.busy", retry_after=RETRY_AFTER_SECONDS)
    response.headers.update(headers)
    return response
