"""The call history: every inbound and outbound call a viewer may see, searched, paged, exported.

Why Core selects with the visibility rule inside the query: the page, its total and the CSV
export come from one WHERE clause (crm_core.access.rules), so a total never counts a call the
list would hide and an export never holds one the list would not show. Searches lean on
indexes: the caller number (exact, normalised), the agent, the customer and the start time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.access.rules import (
    SEES_EVERYTHING,
    call_record_condition,
    call_work_condition,
    customer_condition,
    people,
)
from crm_core.admin.models import QueueMembership
from crm_core.audit.service import record
from crm_core.call_history.filters import CallFilter
from crm_core.call_history.rows import CallRow, audible
from crm_core.db import Database
from crm_core.domain_errors import Actor, Invalid, NotFound
from crm_core.models import CallAgent, CallRecord, Customer, User
from crm_core.recording.models import Recording

log = logging.getLogger(__name__)
MAX_EXPORT = 100_000  # rows in one CSV: more is a filter too wide to be meant
BATCH = 1000
RECENT_QUEUES = 2000  # the latest calls whose queues are offered as choices


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: the agents the viewer may filter by, and known queues."""

    agents: list[dict[str, Any]]
    queues: list[str]


def scope(actor: Actor) -> ColumnElement[bool] | None:
    """Which calls actor's history holds. Supervisors and administrators: every call they may see
    (crm_core.access.rules.call_record_condition). An agent: their own calls only, the ones
    offered to or taken by them (a subset of what they may see, the history they need)."""
    if actor.role == "agent":
        return call_work_condition(actor)
    return call_record_condition(actor)


def conditions(actor: Actor, f: CallFilter) -> list[ColumnElement[bool]]:
    """The WHERE clause of a search: the viewer's scope and every filter given."""
    out = [c for c in (scope(actor),) if c is not None]
    if f.start is not None:
        out.append(CallRecord.started_at >= f.start)
    if f.end is not None:
        out.append(CallRecord.started_at < f.end)
    if f.agent_id is not None:
        took = select(CallAgent.call_record_id).where(
            CallAgent.agent_id == f.agent_id, CallAgent.result == "answered"
        )
        out.append(or_(CallRecord.agent_id == f.agent_id, CallRecord.id.in_(took)))
    for column, value in (
        (CallRecord.queue, f.queue),
        (CallRecord.caller_number, f.number),
        (CallRecord.outcome, f.outcome),
        (CallRecord.direction, f.direction),
    ):
        if value is not None:
            out.append(column == value)
    talk = func.coalesce(CallRecord.talk_seconds, 0)
    if f.min_duration is not None:
        out.append(talk >= f.min_duration)
    if f.max_duration is not None:
        out.append(talk <= f.max_duration)
    out.extend(_customer_filters(actor, f))
    return out


def _customer_filters(actor: Actor, f: CallFilter) -> list[ColumnElement[bool]]:
    """By customer id or name, among the customers actor may see: a call that reached the viewer
    must not tell them the name or id of a customer they may not open."""
    if f.customer_id is None and f.customer is None:
        return []
    customers = select(Customer.id).where(Customer.deleted_at.is_(None))
    visible = customer_condition(actor)
    if visible is not None:
        customers = customers.where(visible)
    if f.customer_id is not None:
        customers = customers.where(Customer.id == f.customer_id)
    if f.customer is not None:
        like = "%" + f.customer.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        customers = customers.where(Customer.name.ilike(like, escape="\\"))
    return [CallRecord.customer_id.in_(customers)]


def _listing() -> Select[Any]:
    """The columns of a history line: the call, its agent's name, its customer and its recording.

    The customer needs no visibility check of its own: a call is in the viewer's scope because
    its customer is visible to them or because it reached them (or their team), and the customers
    who called someone are visible to that someone (crm_core.access.rules: callers). Only a
    customer in the recycle bin is left unnamed.
    """
    customer_on = and_(Customer.id == CallRecord.customer_id, Customer.deleted_at.is_(None))
    recording_on = and_(Recording.pbx == CallRecord.pbx, Recording.call_id == CallRecord.call_id)
    return (
        select(CallRecord, User.display_name, Customer.id, Customer.name, Recording)
        .outerjoin(User, User.id == CallRecord.agent_id)
        .outerjoin(Customer, customer_on)
        .outerjoin(Recording, recording_on)
    )


class CallHistory:
    def __init__(self, db: Database, max_export: int = MAX_EXPORT, batch: int = BATCH) -> None:
        self.db = db
        self.max_export = max_export
        self.batch = batch

    async def check(self, actor: Actor, f: CallFilter) -> None:
        """A filter naming an agent or customer outside the viewer's scope answers like one that does
        not exist (NotFound), and the refusal of one that does exist is audited, as everywhere else."""
        if f.agent_id is not None and actor.role not in SEES_EVERYTHING:
            mine = people(actor) if actor.role == "supervisor" else select(User.id).where(User.id == actor.id)
            await self._check(actor, "user", User, f.agent_id, User.id.in_(mine), "agent_id")
        if f.customer_id is not None:
            visible = customer_condition(actor)
            await self._check(actor, "customer", Customer, f.customer_id, visible, "customer_id")

    async def _check(
        self,
        actor: Actor,
        entity: str,
        model: Any,
        ident: int,
        visible: ColumnElement[bool] | None,
        name: str,
    ) -> None:
        async with self.db.read() as s:
            exists = await s.scalar(select(model.id).where(model.id == ident))
            seen = (
                exists
                if visible is None
                else await s.scalar(select(model.id).where(model.id == ident, visible))
            )
        if seen is not None:
            return
        if exists is not None:
            async with self.db.write() as s:
                record(s, actor, entity, ident, "access_refused", None, {"wanted": "call_history"})
            log.info("call history refused user=%s %s=%s", actor.id, name, ident)
        raise NotFound(f"{name} {ident} not found")

    async def search(
        self, actor: Actor, f: CallFilter, limit: int = 50, offset: int = 0
    ) -> tuple[list[CallRow], int]:
        """A page of calls, newest first, and how many match in all."""
        where = conditions(actor, f)
        async with self.db.read() as s:
            total = await s.scalar(select(func.count()).select_from(CallRecord).where(*where)) or 0
            query = _listing().where(*where).order_by(CallRecord.started_at.desc(), CallRecord.id.desc())
            rows = (await s.execute(query.limit(limit).offset(offset))).all()
            return await _rows(s, actor, rows), total

    async def export(self, actor: Actor, f: CallFilter) -> AsyncIterator[list[CallRow]]:
        """Every matching call, newest first, in batches (keyset paging: each batch one short read).
        Invalid("from") when more than max_export calls match."""
        where = conditions(actor, f)
        async with self.db.read() as s:
            total = await s.scalar(select(func.count()).select_from(CallRecord).where(*where)) or 0
        if total > self.max_export:
            raise Invalid(
                "from", f"{total} calls match; an export holds at most {self.max_export}: narrow it"
            )
        return self._batches(actor, where)

    async def _batches(self, actor: Actor, where: list[ColumnElement[bool]]) -> AsyncIterator[list[CallRow]]:
        after: tuple[datetime, int] | None = None
        order = (CallRecord.started_at.desc(), CallRecord.id.desc())
        while True:
            query = _listing().where(*where).order_by(*order).limit(self.batch)
            if after is not None:
                at, last = after
                query = query.where(
                    or_(CallRecord.started_at < at, and_(CallRecord.started_at == at, CallRecord.id < last))
                )
            async with self.db.read() as s:
                batch = await _rows(s, actor, (await s.execute(query)).all())
            if batch:
                yield batch
            if len(batch) < self.batch:
                return
            after = (batch[-1].started_at, batch[-1].id)

    async def choices(self, actor: Actor) -> Choices:
        """Agents to filter by (an administrator: everyone; a supervisor: their team; an agent:
        themselves) and the queues of queue memberships and of recent calls."""
        who = select(User.id, User.display_name, User.login).where(User.active.is_(True))
        if actor.role != "admin":
            who = who.where(User.id.in_(people(actor) if actor.role == "supervisor" else [actor.id or 0]))
        recent = select(CallRecord.queue).order_by(CallRecord.id.desc()).limit(RECENT_QUEUES).subquery()
        async with self.db.read() as s:
            agents = (await s.execute(who.order_by(User.display_name, User.id))).all()
            queues = set(await s.scalars(select(QueueMembership.queue).distinct()))
            queues |= set(await s.scalars(select(recent.c.queue).distinct()))
        listed = [{"id": i, "name": name, "login": login} for i, name, login in agents]
        return Choices(listed, sorted(q for q in queues if q))


async def _rows(s: AsyncSession, actor: Actor, rows: Any) -> list[CallRow]:
    hearable = await audible(s, actor, [r[0].id for r in rows if r[4] is not None])
    return [_row(call, agent, cid, cname, rec, call.id in hearable) for call, agent, cid, cname, rec in rows]


def _row(
    call: CallRecord, agent: str | None, cid: int | None, cname: str | None, rec: Recording | None, hear: bool
) -> CallRow:
    playable = rec is not None and hear
    return CallRow(
        call.id, call.pbx, call.call_id, call.direction, call.caller_number, call.caller_name, cid, cname,
        call.queue, call.agent_id, agent, call.status, call.outcome, call.started_at, call.answered_at,
        call.ended_at, call.wait_seconds, call.talk_seconds, call.hold_seconds, call.wrapup_seconds,
        call.transferred, call.disposition, call.survey_score,
        rec.public_id if playable and rec is not None and rec.status == "stored" else None,
        rec.status if playable and rec is not None else None,
        rec.duration_seconds if playable and rec is not None else None,
    )  # fmt: skip
