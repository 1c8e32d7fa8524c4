"""Who may open what: the role check every page, API route and socket goes through.

A refusal is answered the way the asker understands (a JSON body under /api/ and /ws,
the refusal page otherwise) and written to the audit trail: who, what, from where.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

import aiohttp_jinja2
from aiohttp import web

from agent_ui.context import current_user
from agent_ui.errors import json_error
from agent_ui.security import client_address
from crm_core.domain_errors import SYSTEM

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SUPERVISING = ("supervisor", "admin")
MAX_AUDITED_PATH = 200


def require(*roles: str) -> Callable[[Handler], Handler]:
    """Let only these roles through; everyone else gets an audited 403."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            user = current_user(request)
            if user is None or user.role not in roles:
                return await refuse(request, "role")
            return await handler(request)

        guarded.roles = roles  # type: ignore[attr-defined]  # read by the authorization matrix test
        return guarded

    return decorate


async def audit_refusal(request: web.Request, why: str, status: int = 403) -> None:
    """One audit row per refused access; never the body, only the method, path and address."""
    user = current_user(request)
    detail = {
        "why": why,
        "method": request.method,
        "path": request.path[:MAX_AUDITED_PATH],
        "remote": client_address(request),  # behind a trusted proxy: the forwarded client
        "status": status,
    }
    log.warning("access refused why=%s user=%s path=%s", why, user.id if user else None, detail["path"])
    from agent_ui.api_v1.services import CRM  # api_v1's routes import this module

    crm = request.app.get(CRM)
    if crm is None:
        return
    try:
        await crm.audit.note(user or SYSTEM, "access", user.id if user else 0, "refused", detail)
    except Exception:  # the refusal stands even when the audit write fails (database busy)
        log.exception("could not audit a refused access")


async def refuse(request: web.Request, why: str, key: str = "error.forbidden") -> web.StreamResponse:
    await audit_refusal(request, why)
    if request.path.startswith(("/api/", "/ws")):
        return json_error(request, 403, key)
    return aiohttp_jinja2.render_template("refused.html", request, {"message_key": key}, status=403)
