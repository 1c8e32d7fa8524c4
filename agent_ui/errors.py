"""JSON errors that name what was wrong, in the caller's language, never a bare 500."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.context import LANG_KEY
from agent_ui.i18n import DEFAULT_LANGUAGE, translate


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
