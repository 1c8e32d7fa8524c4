"""The two languages every page and message exists in (zh-CN first: our first users work in Chinese).

Catalogs are JSON files under locales/; a test checks both have the same keys.
The choice is remembered in a cookie and falls back to Accept-Language.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from aiohttp import web

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LANG_COOKIE = "lang"
_DIR = Path(__file__).with_name("locales")


@cache
def catalog(lang: str) -> dict[str, str]:
    return json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def translate(lang: str, key: str) -> str:
    return catalog(lang).get(key) or catalog("en").get(key, key)


def pick_language(request: web.Request) -> str:
    """The language for this request: explicit ?lang=, then the cookie, then Accept-Language."""
    for candidate in (request.query.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    accept = request.headers.get("Accept-Language", "").lower()
    for part in accept.split(","):
        tag = part.split(";")[0].strip()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE
