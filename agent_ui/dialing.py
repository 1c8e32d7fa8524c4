"""Placing calls for a signed-in agent through the Telephony port, with errors people can act on.

Which PBX: the only one, or else the first whose link is up (agents of a
multi-site center are bound to their PBX when seats get a site; see the CTI notes).
"""

from __future__ import annotations

import logging
import re
import uuid

from aiohttp import web

from agent_ui.context import SERVICES
from agent_ui.errors import json_error
from crm_core.ports import Telephony, TelephonyError
from crm_core.users import UserView

log = logging.getLogger(__name__)
_DIALABLE = re.compile(r"^\+?\d{2,20}$")
STATUS_OF = {"invalid": 400, "not_found": 404, "not_connected": 503, "timeout": 504, "refused": 502}


class DialRefused(Exception):
    """Why a call could not be placed, as an HTTP answer."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def pick_pbx(request: web.Request) -> Telephony | None:
    links = request.app[SERVICES].telephony
    if len(links) == 1:
        return next(iter(links.values()))
    return next((t for t in links.values() if t.connected), None)


def dial_string(number: str) -> str | None:
    """What the agent typed, as the digits the dialplan gets (a leading + kept)."""
    compact = re.sub(r"[\s()\-.]", "", number or "")
    return compact if _DIALABLE.match(compact) else None


async def click_to_dial(request: web.Request, user: UserView, number: str) -> str:
    """Ring the agent's phone, then the number; returns the call id. Raises DialRefused."""
    digits = dial_string(number)
    if digits is None:
        raise DialRefused(json_error(request, 400, "dial.bad_number", field="number"))
    if not user.interface:
        raise DialRefused(json_error(request, 409, "dial.no_phone"))
    telephony = pick_pbx(request)
    if telephony is None:
        raise DialRefused(unavailable(request))
    call_id = f"c2d-{uuid.uuid4().hex[:16]}"
    try:
        await telephony.originate(user.interface, digits, call_id)
    except TelephonyError as exc:
        # The PBX's message may quote the dialled number: log and answer with the code only.
        log.warning("click-to-dial refused user=%s code=%s", user.id, exc.code)
        raise DialRefused(telephony_refusal(request, exc, "dial")) from exc
    return call_id


def telephony_refusal(
    request: web.Request, exc: TelephonyError, prefix: str, field: str | None = None
) -> web.Response:
    """A PBX refusal as the HTTP answer the console acts on: 503 + Retry-After while the link is
    down, 400 naming `field` for a value the action builder refused, 404/502/504 otherwise.
    Message keys are `<prefix>.<code>`; the PBX's own text is never echoed (it may quote a number)."""
    if exc.code == "not_connected":
        return unavailable(request, "dial.pbx_down" if prefix == "dial" else f"{prefix}.down")
    status = STATUS_OF.get(exc.code, 502)
    key = f"{prefix}.{exc.code if exc.code in STATUS_OF else 'refused'}"
    return json_error(request, status, key, field=field if exc.code == "invalid" else None)


def unavailable(request: web.Request, key: str = "dial.pbx_down") -> web.Response:
    response = json_error(request, 503, key)
    response.headers["Retry-After"] = "5"
    return response
