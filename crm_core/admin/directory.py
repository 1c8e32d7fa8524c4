"""The directory every signed-in user may read: who can be called or transferred to, and queues."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crm_core.admin.memberships import MembershipService
from crm_core.db import Database
from crm_core.models import User


async def directory(db: Database, memberships: MembershipService) -> dict[str, Any]:
    """{"agents": [{id, display_name, extension, team}], "queues": [names]}: active agents with a phone."""
    query = (
        select(User.id, User.display_name, User.extension, User.team)
        .where(User.active.is_(True), User.interface.is_not(None))
        .order_by(User.display_name, User.id)
    )
    async with db.read() as s:
        rows = await s.execute(query)
        agents = [{"id": i, "display_name": n, "extension": e, "team": t} for i, n, e, t in rows]
    return {"agents": agents, "queues": await memberships.queues()}
