"""Reading a console request's JSON body against a small spec, answering 400 with the field named."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.api_v1.schema import Spec, validate
from agent_ui.errors import json_error, json_object
from crm_core.domain_errors import Invalid


class BadPayload(Exception):
    """The body is not what the route takes; `response` is the 400 that says which field."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


async def read_body(request: web.Request, spec: Spec) -> dict[str, Any]:
    """The validated body, or BadPayload (not JSON, not an object, unknown or wrong field)."""
    body = await json_object(request)
    if isinstance(body, web.Response):
        raise BadPayload(body)
    try:
        return validate(spec, body)
    except Invalid as exc:
        raise BadPayload(bad_field(request, exc.field, exc.message)) from None


def bad_field(
    request: web.Request, field: str, detail: str = "", key: str = "error.bad_request"
) -> web.Response:
    """400 naming the field; detail says what it must be (in English, for the developer)."""
    return json_error(request, 400, key, field=field, detail=detail)
