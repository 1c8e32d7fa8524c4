"""The KPI service on SQLite and PostgreSQL: the synthetic day written as rows gives the same
hand-worked figures, and each supervisor gets their own team's figures and nothing of the other's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.db import Database
from crm_core.domain_errors import NotFound
from crm_core.kpi.report import KpiQuery
from crm_core.kpi.service import Filters, KpiReports
from crm_core.kpi.settings import KpiSettings
from crm_core.models import CallRecord, SeatState, User
from tests.kpi.day import DAY_END, DAY_START, at
from tests.kpi.store import Stored, interface, name_agents, write_day
from tests.kpi.test_synthetic_day import DAY_TOTAL

SETTINGS = KpiSettings(timezone="Asia/Shanghai")
DAY = KpiQuery(DAY_START, DAY_END)


@dataclass(frozen=True)
class Viewer:
    id: int | None
    role: str


@dataclass(frozen=True)
class World:
    day: Stored
    admin: Viewer
    sup_a: Viewer
    sup_b: Viewer


async def _user(db: Database, login: str, role: str, team: str | None) -> int:
    async with db.write() as s:
        user = User(login=login, password_hash="-", role=role, display_name=login, team=team)
        s.add(user)
        await s.flush()
        return user.id


@pytest.fixture
async def world(db: Database) -> World:
    agents = {n: await _user(db, f"agent{n}", "agent", None) for n in (1, 2, 3)}
    await name_agents(db, agents)
    stored = await write_day(db, agents)
    admin = Viewer(await _user(db, "admin", "admin", None), "admin")
    sup_a = Viewer(await _user(db, "sup_a", "supervisor", "A"), "supervisor")
    sup_b = Viewer(await _user(db, "sup_b", "supervisor", "B"), "supervisor")
    return World(stored, admin, sup_a, sup_b)


async def test_the_stored_day_gives_the_hand_worked_figures(db: Database, world: World) -> None:
    report = await KpiReports(db, SETTINGS).kpi(world.admin, DAY)
    assert report.total == DAY_TOTAL
    assert report.rows == [DAY_TOTAL]


async def test_supervisor_a_sees_team_a_and_the_unanswered_calls_of_its_queues(
    db: Database, world: World
) -> None:
    total = (await KpiReports(db, SETTINGS).kpi(world.sup_a, DAY)).total
    # team A answered c1 c2 c8; c4 rang agent 1; c7 and c3 (short) rang nobody in "support", which
    # team A serves; c5 c11 (team B's) and c6 (only in "sales", team B's queue) are not A's.
    assert (total["offered"], total["answered"], total["abandoned"], total["timed_out"]) == (5, 3, 1, 1)
    assert total["short_abandoned"] == 1
    assert total["asa"] == 15.0  # (10 + 30 + 5) / 3
    assert total["service_level"] == 40.0  # c1 c8 within T / (3 + c4 + c7)
    assert total["occupancy"] == 39.29  # agents 1 and 2: 3300 / 8400
    assert (total["callbacks_made"], total["fcr"]) == (2, 33.33)  # c8 of c1 c2 c8


async def test_supervisor_b_gets_none_of_team_a(db: Database, world: World) -> None:
    reports = KpiReports(db, SETTINGS)
    rows = (await reports.kpi(world.sup_b, KpiQuery(DAY_START, DAY_END, "none", ("agent",)))).rows
    agent_a = {world.day.agents[1], world.day.agents[2]}
    assert [r["agent_id"] for r in rows] == [world.day.agents[3], None]
    assert not agent_a & {r["agent_id"] for r in rows}
    wu, nobody = rows
    assert (wu["answered"], wu["occupancy"], wu["callbacks_made"]) == (2, 33.33, 1)
    assert (nobody["offered"], nobody["abandoned"], nobody["timed_out"]) == (2, 1, 1)  # c6 c7
    performance = await reports.agents(world.sup_b, DAY)
    assert [r["agent_name"] for r in performance] == ["Wu"]
    everyone = await reports.agents(world.admin, DAY)
    assert [r["agent_name"] for r in everyone] == ["Tom", "Wu", "李娜"]


async def test_an_agent_or_team_outside_the_scope_is_not_found_and_audited(
    db: Database, world: World
) -> None:
    reports = KpiReports(db, SETTINGS)
    li = world.day.agents[1]
    with pytest.raises(NotFound):
        await reports.kpi(world.sup_b, DAY, Filters(agent_id=li))
    with pytest.raises(NotFound):
        await reports.agents(world.sup_b, DAY, Filters(team="A"))
    with pytest.raises(NotFound):
        await reports.kpi(world.sup_b, DAY, Filters(agent_id=999_999))  # no such user: a plain miss
    async with db.read() as s:
        refused = (await s.execute(select(AuditEntry.entity, AuditEntry.entity_id, AuditEntry.user_id)
                                   .where(AuditEntry.action == "access_refused"))).all()  # fmt: skip
    assert [tuple(r) for r in refused] == [("user", li, world.sup_b.id)]
    mine = await reports.kpi(world.sup_a, DAY, Filters(agent_id=li))
    assert (mine.total["answered"], mine.total["aht"]) == (2, 215.0)  # c1 c8: (330 + 100) / 2
    by_queue = await reports.kpi(world.admin, DAY, Filters(queue="sales"))
    assert (by_queue.total["offered"], by_queue.total["occupancy"]) == (2, None)


async def test_a_span_still_open_counts_until_now(db: Database, world: World) -> None:
    async with db.write() as s:
        span = SeatState(pbx="main", agent_interface=interface(3), agent_id=world.day.agents[3],
                         state="on_call", reason="", started_at=at("20:00"), ended_at=None)  # fmt: skip
        s.add(span)
    now = at("20:30")
    reports = KpiReports(db, SETTINGS, clock=lambda: now)
    rows = await reports.agents(world.admin, DAY, Filters(agent_id=world.day.agents[3]))
    # agent 3: 3600 s of the day as before + 1800 s on a call since 20:00
    assert (rows[0]["logged_in_seconds"], rows[0]["occupancy"]) == (5400.0, 55.56)  # 3000 / 5400
    # a range that starts while the span runs takes the part after its start
    late = KpiQuery(at("20:10"), at("20:10") + timedelta(hours=1))
    rows = await reports.agents(world.admin, late, Filters(agent_id=world.day.agents[3]))
    assert rows[0]["logged_in_seconds"] == 1200.0  # 20:10 to now, 20:30


async def test_a_repeat_answered_by_another_team_still_counts(db: Database, world: World) -> None:
    reports = KpiReports(db, SETTINGS)
    assert (await reports.kpi(world.sup_b, DAY)).total["fcr"] == 100.0  # c5 and c11
    # c14: the unknown caller of c11 (team B's) calls again at 13:00 and team A's agent 1 answers
    async with db.write() as s:
        c14 = CallRecord(pbx="main", call_id="day-14", direction="inbound", caller_number="+8613800000000",
                         queue="support", agent_id=world.day.agents[1], status="ended", outcome="answered",
                         started_at=at("13:00"), wait_seconds=5.0, talk_seconds=60.0, notes="")  # fmt: skip
        s.add(c14)
    # team B's c11 is no longer resolved at first contact, though B cannot see c14 itself
    b = (await reports.kpi(world.sup_b, DAY)).total
    assert (b["fcr"], b["answered"]) == (50.0, 2)
    # everyone: c5 c8 c14 resolved of c1 c2 c5 c8 c11 c14
    assert (await reports.kpi(world.admin, DAY)).total["fcr"] == 50.0
