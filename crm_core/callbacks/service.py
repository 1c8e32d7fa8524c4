"""Callbacks: promises to call a customer back, inside their calling window, with retries.

Created by an agent, by the IVR, or (if enabled) for a caller who gave up in a
queue. A preferred agent gets the callback first; after `preferred_timeout` any
agent of the queue may take it. Dialing is the caller's job (the Telephony port):
this service says what is due, who accepted it, and what each attempt gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.access.rules import callback_condition, restricted
from crm_core.audit.service import record, snapshot
from crm_core.call_links import link_call
from crm_core.callbacks.errors import DoNotCallBlocked
from crm_core.callbacks.models import Callback, CallbackAttempt, DoNotCall
from crm_core.callbacks.views import CallbackView, callback_view
from crm_core.callbacks.window import in_window, into_window
from crm_core.campaigns.rules import zone_for
from crm_core.customers import CustomerService
from crm_core.db import retry_when_busy
from crm_core.domain_errors import SYSTEM, Actor, Clock, Conflict, Invalid, utc_clock
from crm_core.events import CallEnded
from crm_core.live_rows import live_row
from crm_core.models import Customer, User
from crm_core.tickets.models import ServiceRequest

OPEN = ("pending", "accepted")
OUTCOMES = ("answered", "no_answer", "busy", "failed", "wrong_number")
SOURCES = ("agent", "ivr", "abandoned")
CALL_FIELDS = ("call_record_id", "call")  # checked by crm_core.call_links


@dataclass(frozen=True)
class CallbackPolicy:
    window: tuple[time, time] = (time(9), time(20))  # local time of the customer
    preferred_timeout: timedelta = timedelta(minutes=30)  # then any agent may take it
    retry_delay: timedelta = timedelta(minutes=15)
    max_attempts: int = 3
    auto_for_abandoned: bool = True


class CallbackService:
    def __init__(
        self,
        db: Any,
        customers: CustomerService,
        policy: CallbackPolicy | None = None,
        clock: Clock = utc_clock,
    ) -> None:
        self.db = db
        self.customers = customers
        self.policy = policy or CallbackPolicy()
        self.clock = clock

    async def create(
        self, actor: Actor, number: str, scheduled_at: datetime | None = None, **links: Any
    ) -> CallbackView:
        """A callback for number at scheduled_at (naive: the customer's local time; None: as soon as
        the window allows); links: customer_id, service_request_id, assigned_user_id, queue, source, note,
        and the call it was promised on: call_record_id, or call=(pbx, call id) as the pop-up knows it."""
        key = self.customers.number_key(number)
        if links.get("source", "agent") not in SOURCES:
            raise Invalid("source", f"must be one of {', '.join(SOURCES)}")
        async with self.db.write() as s:
            await self._refuse_dnc(s, key)
            await self._check_links(s, links)
            await link_call(s, links)
            tz = await self._timezone(s, links.get("customer_id"), key)
            when = self._schedule(scheduled_at, tz)
            row = Callback(
                number=key, scheduled_at=when, next_attempt_at=when, created_by=actor.id, status="pending"
            )
            row.max_attempts, row.created_at = self.policy.max_attempts, self.clock()
            for name, value in links.items():
                setattr(row, name, value if name != "note" else str(value or ""))
            s.add(row)
            await s.flush()
            record(s, actor, "callback", row.id, "create", None, snapshot(row), self.clock())
            return callback_view(row)

    def _schedule(self, scheduled_at: datetime | None, tz: str) -> datetime:
        if scheduled_at is None:
            return into_window(self.clock(), tz, self.policy.window)
        if scheduled_at.tzinfo is None:
            scheduled_at = scheduled_at.replace(tzinfo=ZoneInfo(tz))
        if not in_window(scheduled_at, tz, self.policy.window):
            start, end = (t.strftime("%H:%M") for t in self.policy.window)
            raise Invalid("scheduled_at", f"outside the calling window {start}-{end} ({tz})")
        return scheduled_at.astimezone(UTC)

    async def _timezone(self, s: AsyncSession, customer_id: int | None, number: str) -> str:
        """The customer's zone; for a number alone (e.g. a campaign entry) the number's region's zone."""
        customer = await s.get(Customer, customer_id) if customer_id is not None else None
        if customer is not None:
            return customer.timezone
        return zone_for("", number, self.customers.default_timezone)

    async def _check_links(self, s: AsyncSession, links: dict[str, Any]) -> None:
        allowed = {"customer_id": Customer, "service_request_id": ServiceRequest, "assigned_user_id": User}
        for name, value in links.items():
            if name not in (*allowed, "queue", "source", "note", *CALL_FIELDS):
                raise Invalid(name, "unknown field")
            if name in allowed and value is not None and await s.get(allowed[name], value) is None:
                raise Invalid(name, "does not exist")

    async def _refuse_dnc(self, s: AsyncSession, key: str) -> None:
        if await s.get(DoNotCall, key) is not None:
            raise DoNotCallBlocked(key)

    async def get(self, callback_id: int) -> CallbackView:
        async with self.db.read() as s:
            return callback_view(await _live(s, callback_id))

    async def list(self, limit: int = 50, offset: int = 0, **filters: Any) -> tuple[list[CallbackView], int]:
        """Callbacks filtered by status, customer_id, assigned_user_id, number (any written form)."""
        query = select(Callback).where(Callback.deleted_at.is_(None))
        if filters.get("number"):
            query = query.where(Callback.number == self.customers.normalize(filters["number"]))
        for name in ("status", "customer_id", "assigned_user_id", "service_request_id"):
            if filters.get(name) is not None:
                query = query.where(getattr(Callback, name) == filters[name])
        if filters.get("viewer") is not None:  # only what this user may see (crm_core.access)
            query = restricted(query, callback_condition(filters["viewer"]))
        async with self.db.read() as s:
            rows = list(await s.scalars(query.order_by(Callback.next_attempt_at, Callback.id)))
        return [callback_view(r) for r in rows[offset : offset + limit]], len(rows)

    async def due(self, now: datetime | None = None, viewer: Actor | None = None) -> list[CallbackView]:
        """Pending callbacks whose time has come, oldest first (those viewer may see, when given)."""
        now = now or self.clock()
        query = _due_query(now)
        if viewer is not None:
            query = restricted(query, callback_condition(viewer))
        async with self.db.read() as s:
            rows = await s.scalars(query.order_by(Callback.next_attempt_at, Callback.id))
            return [callback_view(r) for r in rows]

    async def next_due_for_agent(
        self, agent_user_id: int, now: datetime | None = None, viewer: Actor | None = None
    ) -> CallbackView | None:
        """What to offer this agent: their own due callbacks first, then unassigned or timed-out ones."""
        now = now or self.clock()
        fallback = now - self.policy.preferred_timeout
        query = _due_query(now).where(
            or_(
                Callback.assigned_user_id == agent_user_id,
                Callback.assigned_user_id.is_(None),
                Callback.next_attempt_at <= fallback,
            )
        )
        if viewer is not None:
            query = restricted(query, callback_condition(viewer))
        async with self.db.read() as s:
            rows = list(await s.scalars(query.order_by(Callback.next_attempt_at, Callback.id)))
        mine = [r for r in rows if r.assigned_user_id == agent_user_id]
        pick = (mine or rows or [None])[0]
        return callback_view(pick) if pick is not None else None

    async def accept(self, callback_id: int, user: Actor) -> CallbackView:
        """The agent takes the callback and is about to dial it; a second taker gets a Conflict."""
        now = self.clock()
        async with self.db.write() as s:
            row = await _live(s, callback_id, lock=True)
            await self._refuse_dnc(s, row.number)
            if row.status != "pending":
                raise Conflict(f"callback {callback_id} is {row.status}")
            preferred_wait = row.next_attempt_at + self.policy.preferred_timeout
            if row.assigned_user_id not in (None, user.id) and now < preferred_wait:
                raise Conflict(
                    f"callback {callback_id} is reserved for its agent until {preferred_wait.isoformat()}"
                )
            before = snapshot(row)
            row.status, row.accepted_by = "accepted", user.id
            record(s, user, "callback", row.id, "accept", before, snapshot(row), now)
            return callback_view(row)

    async def record_attempt(
        self, callback_id: int, user: Actor, outcome: str, note: str = ""
    ) -> CallbackView:
        """One dial and how it went; retries no answer/busy/failed until max_attempts, inside the window."""
        if outcome not in OUTCOMES:
            raise Invalid("outcome", f"must be one of {', '.join(OUTCOMES)}")
        now = self.clock()
        async with self.db.write() as s:
            row = await _live(s, callback_id, lock=True)
            if row.status not in OPEN:
                raise Conflict(f"callback {callback_id} is {row.status}")
            before = snapshot(row)
            s.add(CallbackAttempt(callback_id=row.id, at=now, user_id=user.id, outcome=outcome, note=note))
            row.attempts += 1
            row.accepted_by = None
            if outcome == "answered":
                row.status = "done"
            elif outcome == "wrong_number" or row.attempts >= row.max_attempts:
                row.status = "failed"
            else:
                tz = await self._timezone(s, row.customer_id, row.number)
                row.status = "pending"
                row.next_attempt_at = into_window(now + self.policy.retry_delay, tz, self.policy.window)
            record(s, user, "callback", row.id, "attempt", before, snapshot(row), now)
            return callback_view(row)

    async def on_call_ended(self, event: CallEnded) -> CallbackView | None:
        """Bus subscriber: a caller who gave up in a queue gets one open callback per number; a busy
        database is waited out (the check for an open one is repeated, so never two)."""
        return await retry_when_busy(lambda: self._abandoned(event), f"callback {event.pbx}:{event.call_id}")

    async def _abandoned(self, event: CallEnded) -> CallbackView | None:
        if not self.policy.auto_for_abandoned or event.outcome != "abandoned" or event.queue is None:
            return None
        key = self.customers.normalize(event.caller_number)
        if not key or len(key) > 20:
            return None
        async with self.db.read() as s:
            if await s.get(DoNotCall, key) is not None:
                return None
            open_one = await s.scalar(
                select(Callback.id).where(
                    Callback.number == key, Callback.status.in_(OPEN), Callback.deleted_at.is_(None)
                )
            )
        if open_one is not None:
            return None
        ids = await self.customers.find_ids_by_number(key)
        note = f"abandoned in queue {event.queue} ({event.pbx}/{event.call_id})"
        links = {
            "customer_id": ids[0] if ids else None,
            "queue": event.queue,
            "source": "abandoned",
            "note": note,
        }
        return await self.create(SYSTEM, key, None, **links)

    async def set_do_not_call(self, number: str, actor: Actor, blocked: bool = True, reason: str = "") -> str:
        key = self.customers.number_key(number)
        async with self.db.write() as s:
            row = await s.get(DoNotCall, key)
            if blocked and row is None:
                s.add(DoNotCall(e164=key, reason=reason, created_by=actor.id, created_at=self.clock()))
            elif not blocked and row is not None:
                await s.delete(row)
            return key

    async def is_do_not_call(self, number: str) -> bool:
        async with self.db.read() as s:
            return await s.get(DoNotCall, self.customers.normalize(number)) is not None

    async def attempts(self, callback_id: int) -> list[dict[str, Any]]:
        async with self.db.read() as s:
            await _live(s, callback_id)
            rows = await s.scalars(
                select(CallbackAttempt)
                .where(CallbackAttempt.callback_id == callback_id)
                .order_by(CallbackAttempt.id)
            )
            return [
                {"at": r.at.isoformat(), "user_id": r.user_id, "outcome": r.outcome, "note": r.note}
                for r in rows
            ]


def _due_query(now: datetime) -> Any:
    return select(Callback).where(
        Callback.status == "pending", Callback.deleted_at.is_(None), Callback.next_attempt_at <= now
    )


async def _live(s: AsyncSession, callback_id: int, lock: bool = False) -> Callback:
    return await live_row(s, Callback, callback_id, "callback", lock)
