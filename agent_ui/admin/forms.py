"""What every administration page shares: reading a form, saying errors in the page's language,
redirecting after a change, and paging long lists.

Pages follow POST → redirect → GET; a refused form is rendered again with status 400 (409
for a rule the state forbids) and each message beside its field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from agent_ui.context import LANG_KEY, current_user
from agent_ui.csrf import FORM_FIELD
from agent_ui.i18n import translate
from crm_core.admin.checks import FieldError, RuleBroken
from crm_core.domain_errors import Conflict, CrmError, Invalid, NotFound
from crm_core.users import UserView

PAGE_SIZE = 25
NOTICES = frozenset(
    {"saved", "created", "deleted", "password", "deactivated", "restored", "purged"}
    | {"pbx_applied", "pbx_pending", "pbx_refused"}
)
FORM_STATUS = {FieldError: 400, Invalid: 400, RuleBroken: 409, Conflict: 409}


def actor(request: web.Request) -> UserView:
    user = current_user(request)
    assert user is not None  # every admin page is behind @require("admin")
    return user


async def form_data(request: web.Request) -> dict[str, str]:
    """The posted fields as text (the CSRF field left out)."""
    form = await request.post()
    return {k: str(v).strip() for k, v in form.items() if k != FORM_FIELD and isinstance(v, str)}


MAX_WHOLE = 2**31 - 1


def whole(field: str, raw: str | None, default: int | None = None) -> int:
    """A whole number typed into a form; the message names the field when it is not one."""
    if (raw is None or raw == "") and default is not None:
        return default
    try:
        value = int(raw or "")
    except ValueError:
        raise FieldError(field, "number", "must be a whole number") from None
    if not -MAX_WHOLE <= value <= MAX_WHOLE:  # past what an id or a database integer column holds
        raise FieldError(field, "number", "must be a whole number")
    return value


def day(field: str, raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise FieldError(field, "date", "must be a date like 2026-03-01") from None
    if not 1900 <= value.year <= 9998:  # a day after it must still exist (end of range = next midnight)
        raise FieldError(field, "date", "must be a date like 2026-03-01")
    return value


def explain(request: web.Request, exc: CrmError) -> dict[str, str]:
    """{field: message} in the page's language; "_" holds a message about the whole form."""
    lang = request.get(LANG_KEY, "zh-CN")
    if isinstance(exc, FieldError):
        text = translate(lang, f"admin.error.{exc.reason}").format(**exc.params)
        return {exc.field: text}
    if isinstance(exc, RuleBroken):
        return {"_": translate(lang, f"admin.error.{exc.reason}")}
    if isinstance(exc, Invalid):
        return {exc.field: translate(lang, "admin.error.invalid")}
    return {"_": translate(lang, "admin.error.invalid")}


def refused_form(request: web.Request, template: str, ctx: dict[str, Any], exc: CrmError) -> web.Response:
    """The form again, with the messages beside the fields; a missing object is a plain 404."""
    if isinstance(exc, NotFound):
        raise web.HTTPNotFound()
    status = next((code for kind, code in FORM_STATUS.items() if isinstance(exc, kind)), 400)
    return render(request, template, {**ctx, "errors": explain(request, exc)}, status=status)


def done(location: str, notice: str) -> web.HTTPSeeOther:
    """The redirect after a successful change; the next page shows what happened."""
    sep = "&" if "?" in location else "?"
    return web.HTTPSeeOther(f"{location}{sep}notice={notice}")


def notice(request: web.Request) -> str | None:
    value = request.query.get("notice")
    return value if value in NOTICES else None


@dataclass(frozen=True)
class Pager:
    page: int
    size: int
    total: int
    base: str
    query: dict[str, str]
    exact: bool = True  # False where only "is there a next page" is known (the recycle bin)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def url(self, page: int) -> str:
        return f"{self.base}?{urlencode({**self.query, 'page': page})}"

    @property
    def prev_url(self) -> str | None:
        return self.url(self.page - 1) if self.page > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.page + 1) if self.page < self.pages else None


def page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def pager(request: web.Request, total: int, keep: tuple[str, ...] = ()) -> Pager:
    query = {k: request.query[k] for k in keep if request.query.get(k)}
    return Pager(page_number(request), PAGE_SIZE, total, request.path, query)


def path_int(request: web.Request, name: str = "id") -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 9:
        raise web.HTTPNotFound()
    return int(raw)


def window(request: web.Request) -> tuple[int, int]:
    """(limit, offset) of the requested page of a list."""
    return PAGE_SIZE, (page_number(request) - 1) * PAGE_SIZE


def render(request: web.Request, template: str, ctx: dict[str, Any], status: int = 200) -> web.Response:
    ctx = {"notice": notice(request), "errors": {}, "form": {}, **ctx}
    return aiohttp_jinja2.render_template(template, request, ctx, status=status)
