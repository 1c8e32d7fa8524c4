"""The two languages every page and message exists in (zh-CN first: our first users work in Chinese).

Catalogs are Babel .po files, one folder per language under locales/<locale>/LC_MESSAGES/,
one domain file per area of the product (messages, console, admin, security, wallboard);
every domain of a language is merged into one catalog. Keys are dotted ids used as msgid.
The .po files are read directly at first use (no compile step, nothing generated to keep
in sync); a test checks both languages have the same keys in every domain.

The choice is remembered in a cookie (and on the user's account), and falls back to
Accept-Language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web
from babel.messages.pofile import read_po

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LANG_COOKIE = "lang"
LOCALE_DIRS = {"zh-CN": "zh_CN", "en": "en"}  # our language tags -> Babel locale folders
_DIR = Path(__file__).with_name("locales")


def domain_files(lang: str) -> list[Path]:
    return sorted((_DIR / LOCALE_DIRS[lang] / "LC_MESSAGES").glob("*.po"))


def read_domain(path: Path) -> dict[str, str]:
    """One .po file as {key: text}; fuzzy or empty entries are left out (they fall back to English)."""
    with path.open("rb") as f:
        po = read_po(f, charset="utf-8")
    return {m.id: m.string for m in po if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in domain_files(lang):
        merged.update(read_domain(path))
    return merged


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
