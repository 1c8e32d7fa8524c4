"""The KPI service: loads a range's rows for a viewer (scope.py) and hands them to the pure figures.

Thin on purpose: what a figure means is in figures.py, fcr.py and report.py; this only decides
which rows a viewer's report is made of, in one read transaction, and refuses filters naming
an agent or team outside the viewer's scope as if they did not exist (audited).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select

from crm_core.admin.models import Team
from crm_core.audit.service import record
from crm_core.callbacks.models import Callback, CallbackAttempt
from crm_core.db import Database
from crm_core.domain_errors import Actor, Clock, NotFound, utc_clock
from crm_core.kpi import loader
from crm_core.kpi.agents import agent_rows
from crm_core.kpi.facts import CallFact
from crm_core.kpi.fcr import RepeatFinder
from crm_core.kpi.report import KpiData, KpiQuery, kpi_report
from crm_core.kpi.scope import attempt_scope, call_scope, span_scope, user_scope
from crm_core.kpi.settings import KpiSettings
from crm_core.models import CallRecord, SeatState, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """Optional narrowing of a report: one queue, one agent, one team."""

    queue: str | None = None
    agent_id: int | None = None
    team: str | None = None


@dataclass(frozen=True)
class KpiReport:
    rows: list[dict[str, Any]]
    total: dict[str, Any]


class KpiReports:
    def __init__(self, db: Database, settings: KpiSettings | None = None, clock: Clock = utc_clock) -> None:
        self.db = db
        self.settings = settings or KpiSettings()
        self.clock = clock

    async def ended_calls(self, start: datetime, end: datetime) -> list[CallFact]:
        """Every ended call begun in [start, end), unscoped: what the wallboard's "today" is seeded from."""
        async with self.db.read() as s:
            return await loader.calls(s, start, end, [])

    async def kpi(self, viewer: Actor, query: KpiQuery, filters: Filters = Filters()) -> KpiReport:
        data, _agents = await self._load(viewer, query, filters, with_fcr=True)
        return KpiReport(*kpi_report(data, query, self.settings))

    async def agents(
        self, viewer: Actor, query: KpiQuery, filters: Filters = Filters()
    ) -> list[dict[str, Any]]:
        """Agent performance rows: every active agent in scope (and filters), and anyone who worked."""
        data, listed = await self._load(viewer, query, filters, with_fcr=False)
        worked = {c.agent_id for c in data.calls if c.answered} | {s.agent_id for s in data.spans}
        worked |= {a.agent_id for a in data.callbacks}
        return agent_rows(data, query, sorted((set(listed) | worked) & set(data.names)))

    async def _load(
        self, viewer: Actor, query: KpiQuery, filters: Filters, with_fcr: bool
    ) -> tuple[KpiData, list[int]]:
        """The rows of the range in the viewer's scope, and the active agents among its people."""
        await self._check_filters(viewer, filters)
        start, end, now = query.start, query.end, self.clock()
        calls_where = _where(call_scope(viewer), *_call_filters(filters))
        async with self.db.read() as s:
            people = await loader.users(s, _where(user_scope(viewer), *_user_filters(filters)))
            ids = [p[0] for p in people]
            calls = await loader.calls(s, start, end, calls_where)
            spans = []
            if filters.queue is None:  # seat time is not per queue
                spans_where = _where(span_scope(viewer), *_span_filters(filters))
                spans = await loader.spans(s, start, end, now, spans_where, ids)
            attempts_where = _where(attempt_scope(viewer), *_attempt_filters(filters))
            tries = await loader.attempts(s, start, end, attempts_where)
            fcr: dict[int, bool] = {}
            if with_fcr:
                later = await loader.repeat_candidates(s, start, end, self.settings.fcr_days, calls_where)
                finder = RepeatFinder(calls, later, self.settings)
                fcr = finder.resolved(await loader.request_windows(s, finder.undecided()))
        names = {p[0]: p[1] for p in people}
        teams = {p[0]: p[2] for p in people}
        agents = [p[0] for p in people if p[3] == "agent" and p[4]]
        return KpiData(calls, spans, tries, fcr, teams, names), agents

    async def _check_filters(self, viewer: Actor, filters: Filters) -> None:
        """An agent or team outside the viewer's scope answers like one that does not exist."""
        scope = user_scope(viewer)
        if filters.agent_id is not None:
            async with self.db.read() as s:
                exists = await s.scalar(select(User.id).where(User.id == filters.agent_id))
                mine = await s.scalar(select(User.id).where(User.id == filters.agent_id, *_where(scope)))
            if mine is None:
                await self._refused(viewer, "user", exists)
                raise NotFound(f"agent {filters.agent_id} not found")
        if filters.team is not None and scope is not None:
            async with self.db.read() as s:
                mine = await s.scalar(select(User.id).where(scope, User.team == filters.team).limit(1))
                team_id = await s.scalar(select(Team.id).where(Team.name == filters.team))
            if mine is None:
                await self._refused(viewer, "team", team_id)
                raise NotFound(f"team {filters.team!r} not found")

    async def _refused(self, viewer: Actor, entity: str, entity_id: int | None) -> None:
        if entity_id is None:
            return  # nothing there to refuse: a plain miss
        async with self.db.write() as s:
            record(
                s, viewer, entity, entity_id, "access_refused", None, {"wanted": "kpi", "role": viewer.role}
            )
        log.info("kpi access refused user=%s entity=%s id=%s", viewer.id, entity, entity_id)


def _where(*conditions: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [c for c in conditions if c is not None]


def _team_members(team: str) -> Any:
    return select(User.id).where(User.team == team)


def _call_filters(f: Filters) -> list[ColumnElement[bool]]:
    out = []
    if f.queue is not None:
        out.append(CallRecord.queue == f.queue)
    if f.agent_id is not None:
        out.append(CallRecord.agent_id == f.agent_id)
    if f.team is not None:
        out.append(CallRecord.agent_id.in_(_team_members(f.team)))
    return out


def _user_filters(f: Filters) -> list[ColumnElement[bool]]:
    out = []
    if f.agent_id is not None:
        out.append(User.id == f.agent_id)
    if f.team is not None:
        out.append(User.team == f.team)
    return out


def _span_filters(f: Filters) -> list[ColumnElement[bool]]:
    out = []
    if f.agent_id is not None:
        out.append(SeatState.agent_id == f.agent_id)
    if f.team is not None:
        out.append(SeatState.agent_id.in_(_team_members(f.team)))
    return out


def _attempt_filters(f: Filters) -> list[ColumnElement[bool]]:
    out = []
    if f.queue is not None:
        out.append(Callback.queue == f.queue)
    if f.agent_id is not None:
        out.append(CallbackAttempt.user_id == f.agent_id)
    if f.team is not None:
        out.append(CallbackAttempt.user_id.in_(_team_members(f.team)))
    return out
