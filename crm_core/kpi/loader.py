"""Reading the rows KPIs are computed from: SQLAlchemy Core selects of the few columns needed.

Why Core selects of plain columns: a day of a busy call center is tens of thousands of call
records, and building ORM objects for each costs more than the figures themselves. Every select
is bounded by an indexed time range (migration 0007) and by the viewer's scope (scope.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.callbacks.models import Callback, CallbackAttempt
from crm_core.domain_errors import Invalid
from crm_core.kpi.facts import LOGGED_OUT, CallbackFact, CallFact, RequestWindow, SeatSpan, caller_key
from crm_core.models import CallRecord, SeatState, User
from crm_core.tickets.models import ServiceRequest

Where = list[ColumnElement[bool]]


def _raw(column: Any) -> Any:
    """A time column as the driver gives it, read by _utc: for tens of thousands of rows the
    column type's own conversion (text -> naive -> aware, a Python call per value) is a third of
    the time of the whole report on SQLite."""
    return type_coerce(column, String)


def _utc(value: datetime | str | None) -> Any:
    """A stored UTC time back as an aware datetime: SQLite gives text without zone, PostgreSQL
    an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value + "+00:00")  # several times faster than .replace()
        except ValueError:
            value = datetime.fromisoformat(value)  # it carried an offset of its own
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_SECONDS = (
    CallRecord.wait_seconds,
    CallRecord.talk_seconds,
    CallRecord.hold_seconds,
    CallRecord.wrapup_seconds,
)
_CALL_COLUMNS = (  # in CallFact's field order, then customer id and number for its caller key
    CallRecord.id, _raw(CallRecord.started_at), CallRecord.direction, CallRecord.queue, CallRecord.agent_id,
    CallRecord.outcome, *(func.coalesce(c, 0.0) for c in _SECONDS), CallRecord.survey_score,
    CallRecord.disposition, CallRecord.customer_id, CallRecord.caller_number,
)  # fmt: skip


def _call(row: Any) -> CallFact:
    """A call fact from a row of _CALL_COLUMNS (positional: this runs for every call of a range)."""
    return CallFact(row[0], _utc(row[1]), *row[2:11], caller_key(row[12], row[13]), row[11])


async def _rows(s: AsyncSession, query: Any) -> Sequence[Any]:
    """Rows of a Core select, run on the session's connection (no ORM result machinery)."""
    connection = await s.connection()
    return (await connection.execute(query)).all()


def _in_range(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


async def users(s: AsyncSession, where: Where) -> list[tuple[int, str, str | None, str, bool]]:
    """(id, display name, team, role, active) of the users in scope."""
    query = select(User.id, User.display_name, User.team, User.role, User.active).where(*where)
    return [tuple(row) for row in await _rows(s, query)]  # type: ignore[misc]


MAX_CALLS = 500_000  # a report reads its calls into memory: past this, a narrower range is asked for


async def calls(s: AsyncSession, start: datetime, end: datetime, where: Where) -> list[CallFact]:
    """Calls that started in [start, end) and are over; Invalid("to") when there are too many to
    read at once (a quarter of a busy center), so one report can never exhaust the service's memory."""
    conditions = (_in_range(CallRecord.started_at, start, end), CallRecord.outcome.is_not(None), *where)
    count = await s.scalar(select(func.count()).select_from(CallRecord).where(*conditions)) or 0
    if count > MAX_CALLS:
        raise Invalid("to", f"the range holds {count} calls, more than {MAX_CALLS}: choose a shorter one")
    query = select(*_CALL_COLUMNS).where(*conditions)
    return [_call(row) for row in await _rows(s, query)]


def _eligible(start: datetime, end: datetime, where: Where) -> list[ColumnElement[bool]]:
    """What makes a call of the range one FCR is measured on: answered, inbound, from a queue,
    in the viewer's scope."""
    return [
        _in_range(CallRecord.started_at, start, end),
        CallRecord.outcome == "answered",
        CallRecord.direction == "inbound",
        CallRecord.queue.is_not(None),
        *where,
    ]


async def repeat_candidates(
    s: AsyncSession, start: datetime, end: datetime, days: int, where: Where
) -> list[CallFact]:
    """Inbound calls of the callers of the eligible calls that may be repeats: those after the
    range (up to `days` days), and, when the range was scoped (`where`), also those inside it
    the viewer's team did not see (a repeat is the customer's, whoever answered it).

    The callers are uncorrelated IN-subqueries, which both engines evaluate once (a correlated
    EXISTS with "same customer OR same number" defeats the indexes: one scan per call)."""
    asked = select(CallRecord.customer_id, CallRecord.caller_number).where(*_eligible(start, end, where))
    known = asked.subquery()
    customers = select(known.c.customer_id).where(known.c.customer_id.is_not(None))
    numbers = select(known.c.caller_number).where(known.c.customer_id.is_(None))
    who = or_(
        CallRecord.customer_id.in_(customers),
        and_(CallRecord.customer_id.is_(None), CallRecord.caller_number.in_(numbers)),
    )
    since, until = (start if where else end), end + timedelta(days=days)
    if not where:
        after = select(CallRecord.id).where(_in_range(CallRecord.started_at, end, until)).limit(1)
        if not await _rows(s, after):
            return []  # a range up to today: nobody can have called again yet
    query = select(*_CALL_COLUMNS).where(
        _in_range(CallRecord.started_at, since, until),
        CallRecord.direction == "inbound",
        CallRecord.outcome.is_not(None),
        CallRecord.caller_number != "",
        who,
    )
    return [_call(row) for row in await _rows(s, query)]


async def request_windows(s: AsyncSession, call_ids: Sequence[int]) -> list[RequestWindow]:
    """Service requests opened on the given calls, with when they were resolved or closed."""
    closed = func.coalesce(ServiceRequest.resolved_at, ServiceRequest.closed_at)
    out: list[RequestWindow] = []
    for chunk in range(0, len(call_ids), 500):
        query = select(ServiceRequest.call_record_id, ServiceRequest.created_at, closed).where(
            ServiceRequest.call_record_id.in_(call_ids[chunk : chunk + 500]),
            ServiceRequest.deleted_at.is_(None),
        )
        out += [RequestWindow(row[0], row[1], row[2]) for row in await _rows(s, query)]
    return out


async def spans(
    s: AsyncSession, start: datetime, end: datetime, now: datetime, where: Where, agents: Sequence[int]
) -> list[SeatSpan]:
    """Seat spans overlapping [start, end): those begun inside it, and each agent's span that was
    already running at `start` (found through the (agent_id, started_at) index); open spans end now."""
    columns = (
        SeatState.agent_id,
        SeatState.state,
        SeatState.reason,
        _raw(SeatState.started_at),
        _raw(SeatState.ended_at),
    )
    inside = select(*columns).where(
        _in_range(SeatState.started_at, start, end), SeatState.state != LOGGED_OUT, *where
    )
    rows = list(await _rows(s, inside))
    running = await _running_at(s, start, agents)
    if running:
        rows += list(await _rows(s, select(*columns).where(SeatState.id.in_(running))))
    out = []
    for agent_id, state, reason, began, ended in rows:
        finish = now if ended is None else _utc(ended)
        if state != LOGGED_OUT and finish > start:
            out.append(SeatSpan(agent_id, state, reason or "", _utc(began), finish))
    return out


async def _running_at(s: AsyncSession, start: datetime, agents: Sequence[int]) -> list[int]:
    """Per agent, the id of their last span begun before start (it may still be running then)."""
    ids: list[int] = []
    for chunk in range(0, len(agents), 500):
        latest = (
            select(SeatState.id)
            .where(SeatState.agent_id == User.id, SeatState.started_at < start)
            .order_by(SeatState.started_at.desc(), SeatState.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = select(latest).where(User.id.in_(agents[chunk : chunk + 500]))
        ids += [row[0] for row in await _rows(s, query) if row[0] is not None]
    return ids


async def attempts(s: AsyncSession, start: datetime, end: datetime, where: Where) -> list[CallbackFact]:
    query = (
        select(CallbackAttempt.at, CallbackAttempt.user_id, Callback.queue, CallbackAttempt.outcome)
        .join(Callback, Callback.id == CallbackAttempt.callback_id)
        .where(_in_range(CallbackAttempt.at, start, end), *where)
    )
    return [
        CallbackFact(at, user, queue, outcome == "answered")
        for at, user, queue, outcome in await _rows(s, query)
    ]
