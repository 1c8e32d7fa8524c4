"""One line of the call history, and which of a page's recordings the viewer may play.

Why the hearing rule is repeated here as one batched query: a page of 50 calls must not
cost 150 queries, and a play button must only appear where the recordings API will play
(crm_core.recording.access.may_hear is the rule; this is the same rule for many calls at once,
and the API stays the judge: a refused playback is still refused and audited there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.domain_errors import Actor
from crm_core.models import CallAgent, CallRecord, User
from crm_core.phones import display_number


@dataclass(frozen=True, slots=True)
class CallRow:
    id: int
    pbx: str
    call_id: str
    direction: str
    number: str
    caller_name: str
    customer_id: int | None  # None also when the viewer may not see the customer
    customer_name: str | None
    queue: str | None
    agent_id: int | None
    agent_name: str | None
    status: str
    outcome: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wait_seconds: float | None
    talk_seconds: float | None
    hold_seconds: float | None
    wrapup_seconds: float | None
    transferred: bool
    disposition: str | None
    survey_score: int | None
    recording_id: str | None  # the public id, only when the viewer may play it
    recording_status: str | None
    recording_seconds: float | None

    def to_json(self, region: str) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]
        for name in ("started_at", "answered_at", "ended_at"):
            value = out[name]
            out[name] = value.isoformat() if value is not None else None
        out["number_display"] = display_number(self.number, region)
        return out


async def audible(s: AsyncSession, actor: Actor, call_ids: Sequence[int]) -> set[int]:
    """Of these call records, those whose recording actor may hear: administrators all; an agent
    the calls they answered; a supervisor the calls answered by someone of their team."""
    if actor.role == "admin":
        return set(call_ids)
    if actor.id is None or actor.role not in ("agent", "supervisor") or not call_ids:
        return set()
    answered = select(CallAgent.call_record_id.label("call"), CallAgent.agent_id.label("user")).where(
        CallAgent.call_record_id.in_(call_ids), CallAgent.result == "answered"
    )
    main = select(CallRecord.id.label("call"), CallRecord.agent_id.label("user")).where(
        CallRecord.id.in_(call_ids), CallRecord.agent_id.is_not(None)
    )
    takers = union_all(answered, main).subquery()
    rows = (
        await s.execute(select(takers.c.call, takers.c.user, User.team).join(User, User.id == takers.c.user))
    ).all()
    if actor.role == "agent":
        return {call for call, user, _team in rows if user == actor.id}
    mine = await s.scalar(select(User.team).where(User.id == actor.id))
    return {call for call, _user, team in rows if mine is not None and team == mine}
