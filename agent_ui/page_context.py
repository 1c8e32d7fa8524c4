"""What every page's template sees (language, translations, the signed-in user, the CSRF token),
computed only when a page is rendered.

aiohttp_jinja2's context processors would build it for every request, API calls and WebSockets
included, and keep it for the request's life: ~1 KB on every open console (BENCHMARKS.md d).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aiohttp import web
from aiohttp_jinja2 import REQUEST_CONTEXT_KEY

from agent_ui.context import LANG_KEY, current_user
from agent_ui.csrf import csrf_field, request_token
from agent_ui.i18n import LANGUAGES, catalog, translate

_KEYS = ("lang", "other_lang", "_", "messages", "me", "csrf_token", "csrf_field")


class PageContext(Mapping[str, Any]):
    """A mapping of the template variables, computed on first read."""

    __slots__ = ("_request", "_values")

    def __init__(self, request: web.Request) -> None:
        self._request = request
        self._values: dict[str, Any] | None = None

    def _computed(self) -> dict[str, Any]:
        if self._values is None:
            request = self._request
            lang = request.get(LANG_KEY, "zh-CN")
            self._values = {
                "lang": lang,
                "other_lang": next(code for code in LANGUAGES if code != lang),
                "_": lambda key: translate(lang, key),
                "messages": catalog(lang),
                "me": current_user(request),
                "csrf_token": request_token(request),
                "csrf_field": lambda: csrf_field(request),
            }
        return self._values

    def __getitem__(self, key: str) -> Any:
        return self._computed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(_KEYS)

    def __len__(self) -> int:
        return len(_KEYS)


def install(request: web.Request) -> None:
    """Give the request its (lazy) page context; aiohttp_jinja2 merges it into every render."""
    request[REQUEST_CONTEXT_KEY] = PageContext(request)
