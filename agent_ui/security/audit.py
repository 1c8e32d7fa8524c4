"""Sign-ins, failed sign-ins and sign-outs in the audit trail (entity "user", the account's id).

Never the password; the login name as typed only on a failure, cut to 64 characters (it
may be a password typed in the wrong box, so it is kept short and only where it helps).
A failed audit write never changes the answer to the person signing in.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from agent_ui.api_v1.services import CRM
from agent_ui.context import SERVICES
from agent_ui.security import client_address
from crm_core.domain_errors import SYSTEM, Actor

log = logging.getLogger(__name__)
MAX_LOGIN = 64


async def note(request: web.Request, actor: Actor, user_id: int, action: str, **detail: Any) -> None:
    crm = request.app.get(CRM)
    if crm is None:
        return
    data = {"remote": client_address(request), **detail}
    try:
        await crm.audit.note(actor, "user", user_id, action, data)
    except Exception:
        log.exception("could not audit %s", action)


async def login_failed(request: web.Request, login: str, **detail: Any) -> None:
    """A refused sign-in, under the account's id when the login names one (0 otherwise)."""
    known = await request.app[SERVICES].users.by_login(login[:MAX_LOGIN])
    await note(request, SYSTEM, known.id if known else 0, "login_failed", login=login[:MAX_LOGIN], **detail)
