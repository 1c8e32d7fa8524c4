"""The code lists the administrators keep (pause reasons, dispositions), as the console checks them.

When the administration is not installed on the app, or a list has no active code,
there is nothing to check against: the console then takes any well-formed code.
"""

from __future__ import annotations

from aiohttp import web

from agent_ui.admin.state import ADMIN


async def codes_of(request: web.Request, name: str) -> set[str] | None:
    """The active codes of list `name` ("pause_reasons", "dispositions"), or None (no list to check)."""
    admin = request.app.get(ADMIN)
    if admin is None:
        return None
    codes = {c.code for c in await getattr(admin, name).list(active_only=True)}
    return codes or None
