"""Service requests and complaints: creation, the lifecycle, SLA and escalation.

Every step is written to ticket_steps (who, when, from → to) and to the audit
trail, in the same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.access.rules import request_condition, restricted
from crm_core.audit.service import record, snapshot
from crm_core.call_links import link_call
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Actor, Clock, Invalid, utc_clock
from crm_core.kb.models import KbArticle
from crm_core.live_rows import live_row
from crm_core.models import Customer, User
from crm_core.tickets.errors import TransitionNotAllowed
from crm_core.tickets.lifecycle import (
    DEFAULT_SLA_HOURS,
    DEFAULT_TYPES,
    OPEN_STATUSES,
    PRIORITIES,
    SEVERITIES,
    next_status,
    sla_for,
)
from crm_core.tickets.models import ServiceRequest, TicketKbLink, TicketStep
from crm_core.tickets.numbers import allocate_number
from crm_core.tickets.views import StepView, TicketView, step_view, ticket_view

EDITABLE = {"subject", "description", "priority", "product", "category", "contact_id", "team"}
EDITABLE |= {"severity", "demand", "resolution", "compensation"}
CREATABLE = EDITABLE | {"type", "call_record_id", "owner_id", "call"}
TEXT_FIELDS = ("subject", "description", "product", "category", "demand", "resolution", "compensation")


class TicketService:
    def __init__(
        self,
        db: Database,
        types: Sequence[str] = DEFAULT_TYPES,
        sla_hours: dict[tuple[str, str], float] | None = None,
        clock: Clock = utc_clock,
        supervisor_id: int | None = None,
    ) -> None:
        self.db = db
        self.types = tuple(types)
        self.sla_hours = {**DEFAULT_SLA_HOURS, **(sla_hours or {})}
        self.clock = clock
        self.supervisor_id = supervisor_id  # who escalations go to; None: the first active supervisor

    async def create(self, actor: Actor, customer_id: int, subject: str, **fields: Any) -> TicketView:
        """Register a request; fields: type, priority, description, product, category, contact_id,
        call_record_id (or call=(pbx, call id) as the pop-up knows it), team, owner_id, and for
        complaints severity, demand, compensation."""
        if not str(subject).strip():
            raise Invalid("subject", "must not be empty")
        _only(fields, CREATABLE)
        req = ServiceRequest(
            subject=str(subject).strip(), type=fields.pop("type", "inquiry"), status="registered"
        )
        req.priority = fields.pop("priority", "normal")
        self._check_choices(req.type, req.priority, fields.get("severity"))
        now = self.clock()
        async with self.db.write() as s:
            await link_call(s, fields)
            await self._check_links(s, customer_id, fields)
            req.customer_id, req.created_by, req.created_at = customer_id, actor.id, now
            for name, value in fields.items():
                setattr(req, name, value if value is not None or name not in TEXT_FIELDS else "")
            req.due_at = now + sla_for(self.sla_hours, req.type, req.priority)
            req.number = await allocate_number(s, now.year)
            s.add(req)
            await s.flush()
            self._step(s, req, actor, "register", None, "", now)
            record(s, actor, "service_request", req.id, "create", None, snapshot(req), now)
            return ticket_view(req, now)

    def _check_choices(self, type_: str, priority: str, severity: str | None) -> None:
        if type_ not in self.types:
            raise Invalid("type", f"must be one of {', '.join(self.types)}")
        if priority not in PRIORITIES:
            raise Invalid("priority", f"must be one of {', '.join(PRIORITIES)}")
        if severity not in (None, "", *SEVERITIES):
            raise Invalid("severity", f"must be one of {', '.join(SEVERITIES)}")

    async def _check_links(self, s: AsyncSession, customer_id: int | None, fields: dict[str, Any]) -> None:
        if customer_id is not None:
            customer = await s.get(Customer, customer_id)
            if customer is None or customer.deleted_at is not None:
                raise Invalid("customer_id", "no such customer")
        checks = (("contact_id", Customer), ("owner_id", User))  # the call: link_call
        for name, model in checks:
            if fields.get(name) is not None and await s.get(model, fields[name]) is None:
                raise Invalid(name, "does not exist")

    async def get(self, request_id: int) -> TicketView:
        async with self.db.read() as s:
            return ticket_view(await _live(s, request_id), self.clock())

    async def by_number(self, number: str) -> TicketView | None:
        """The live request with exactly this number (SR-YYYY-NNNNNN), or None: a direct lookup,
        never a search that could match or miss by substring."""
        async with self.db.read() as s:
            req = await s.scalar(
                select(ServiceRequest).where(
                    ServiceRequest.number == number, ServiceRequest.deleted_at.is_(None)
                )
            )
            return None if req is None else ticket_view(req, self.clock())

    async def list(
        self, q: str = "", limit: int = 50, offset: int = 0, **filters: Any
    ) -> tuple[list[TicketView], int]:
        """Requests matching q (number or subject) and filters: status, type, customer_id, overdue…"""
        now = self.clock()
        query = select(ServiceRequest).where(ServiceRequest.deleted_at.is_(None))
        if q.strip():
            like = f"%{q.strip()}%"
            query = query.where(or_(ServiceRequest.number.ilike(like), ServiceRequest.subject.ilike(like)))
        for name in ("status", "type", "customer_id", "owner_id", "call_record_id"):
            if filters.get(name) is not None:
                query = query.where(getattr(ServiceRequest, name) == filters[name])
        if filters.get("overdue"):
            query = query.where(ServiceRequest.status.in_(OPEN_STATUSES), ServiceRequest.due_at < now)
        if filters.get("viewer") is not None:  # only what this user may see (crm_core.access)
            query = restricted(query, request_condition(filters["viewer"]))
        async with self.db.read() as s:
            total = await s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = await s.scalars(query.order_by(ServiceRequest.id.desc()).limit(limit).offset(offset))
            return [ticket_view(r, now) for r in rows], total

    async def update(self, request_id: int, changes: dict[str, Any], actor: Actor = SYSTEM) -> TicketView:
        """Edit fields that are not lifecycle steps; a new priority recomputes the SLA due time."""
        async with self.db.write() as s:
            _only(changes, EDITABLE)
            req = await _live(s, request_id, lock=True)
            before = snapshot(req)
            self._check_choices(req.type, changes.get("priority", req.priority), changes.get("severity"))
            await self._check_links(s, None, changes)
            for name, value in changes.items():
                setattr(req, name, value)
            if "priority" in changes:
                req.due_at = req.created_at + sla_for(self.sla_hours, req.type, req.priority)
            record(s, actor, "service_request", req.id, "update", before, snapshot(req), self.clock())
            return ticket_view(req, self.clock())

    async def transition(self, request_id: int, action: str, actor: Actor, **data: Any) -> TicketView:
        """Move a request along its lifecycle; data: note, owner_id, team (dispatch),
        satisfaction and comment (follow_up), resolution and compensation (resolve)."""
        if action not in _ACTIONS:
            raise Invalid("action", f"must be one of {', '.join(_ACTIONS)}")
        now = self.clock()
        async with self.db.write() as s:
            req = await _live(s, request_id, lock=True)
            target = next_status(action, req.status)
            if target is None:
                raise TransitionNotAllowed(req.number, action, req.status)
            before = snapshot(req)
            await self._apply_step(s, req, action, data, now)
            self._step(s, req, actor, action, req.status, str(data.get("note") or ""), now)
            req.status = target
            record(s, actor, "service_request", req.id, action, before, snapshot(req), now)
            return ticket_view(req, now)

    async def _apply_step(
        self, s: AsyncSession, req: ServiceRequest, action: str, data: dict[str, Any], now: datetime
    ) -> None:
        if action == "dispatch":
            if data.get("owner_id") is None and not data.get("team"):
                raise Invalid("owner_id", "dispatch needs an owner_id or a team")
            await self._check_links(s, None, {"owner_id": data.get("owner_id")})
            req.owner_id, req.team = data.get("owner_id"), data.get("team") or req.team
        elif action == "resolve":
            req.resolved_at = now
            req.resolution = str(data.get("resolution") or req.resolution)
            req.compensation = str(data.get("compensation") or req.compensation)
        elif action == "follow_up":
            score = data.get("satisfaction")
            if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
                raise Invalid("satisfaction", "must be a whole number from 1 to 5")
            req.satisfaction, req.follow_up_comment = score, str(data.get("comment") or "")
        elif action == "close":
            req.closed_at = now
        elif action == "reopen":
            req.resolved_at = req.closed_at = None
        elif action == "act" and not str(data.get("note") or "").strip():
            raise Invalid("note", "an action needs a note saying what was done")

    def _step(
        self,
        s: AsyncSession,
        req: ServiceRequest,
        actor: Actor,
        action: str,
        src: str | None,
        note: str,
        at: datetime,
    ) -> None:
        target = next_status(action, src) if src is not None else "registered"
        s.add(
            TicketStep(
                request_id=req.id,
                at=at,
                user_id=actor.id,
                action=action,
                from_status=src,
                to_status=target or src or "",
                note=note,
            )
        )

    async def history(self, request_id: int) -> list[StepView]:
        async with self.db.read() as s:
            await _live(s, request_id)
            rows = await s.scalars(
                select(TicketStep).where(TicketStep.request_id == request_id).order_by(TicketStep.id)
            )
            return [step_view(r) for r in rows]

    async def escalate_overdue(self, now: datetime | None = None) -> list[str]:
        """Hand every overdue, not yet escalated complaint to a supervisor; returns their numbers."""
        now = now or self.clock()
        async with self.db.write() as s:
            supervisor = self.supervisor_id or await s.scalar(
                select(User.id).where(User.role == "supervisor", User.active.is_(True)).order_by(User.id)
            )
            rows = await s.scalars(
                select(ServiceRequest)
                .where(
                    ServiceRequest.type == "complaint",
                    ServiceRequest.deleted_at.is_(None),
                    ServiceRequest.status.in_(OPEN_STATUSES),
                    ServiceRequest.due_at < now,
                    ServiceRequest.escalated_at.is_(None),
                )
                .order_by(ServiceRequest.id)
                .with_for_update()
            )
            done = []
            for req in rows:
                before = snapshot(req)
                req.escalated_at, req.escalated_to = now, supervisor
                s.add(
                    TicketStep(
                        request_id=req.id,
                        at=now,
                        user_id=None,
                        action="escalate",
                        from_status=req.status,
                        to_status=req.status,
                        note=f"overdue since {req.due_at.isoformat()}",
                    )
                )
                record(s, SYSTEM, "service_request", req.id, "escalate", before, snapshot(req), now)
                done.append(req.number)
            return done

    async def link_article(self, request_id: int, article_id: int, actor: Actor = SYSTEM) -> None:
        async with self.db.write() as s:
            await _live(s, request_id)
            if await s.get(KbArticle, article_id) is None:
                raise Invalid("article_id", "no such article")
            exists = await s.scalar(
                select(TicketKbLink.id).where(
                    TicketKbLink.request_id == request_id, TicketKbLink.article_id == article_id
                )
            )
            if exists is None:
                s.add(TicketKbLink(request_id=request_id, article_id=article_id))
                record(
                    s, actor, "service_request", request_id, "link_article", None, {"article_id": article_id}
                )

    async def linked_articles(self, request_id: int) -> list[int]:
        async with self.db.read() as s:
            await _live(s, request_id)
            rows = await s.scalars(
                select(TicketKbLink.article_id)
                .where(TicketKbLink.request_id == request_id)
                .order_by(TicketKbLink.id)
            )
            return list(rows)


_ACTIONS = ("dispatch", "start", "act", "resolve", "follow_up", "close", "reopen")


def _only(fields: dict[str, Any], allowed: set[str]) -> None:
    for name in fields:
        if name not in allowed:
            raise Invalid(name, "unknown field")


async def _live(s: AsyncSession, request_id: int, lock: bool = False) -> ServiceRequest:
    return await live_row(s, ServiceRequest, request_id, "service request", lock)
