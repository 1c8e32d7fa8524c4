"""The campaign service on SQLite and PostgreSQL: reservations, the rules at dial time, retries, CSV."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from crm_core.admin.models import Team
from crm_core.callbacks.models import DoNotCall
from crm_core.callbacks.service import CallbackService
from crm_core.campaigns import inflight
from crm_core.campaigns.models import Campaign, CampaignAttempt, CampaignEntry
from crm_core.campaigns.room import CampaignRoom
from crm_core.campaigns.work import CampaignHalted, CannotDialNow
from crm_core.contacts.service import CustomerProfiles
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.domain_errors import Invalid
from crm_core.models import User

TUESDAY_NOON_SHANGHAI = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclasses.dataclass(frozen=True)
class Person:
    id: int | None
    role: str
    team: str | None


async def _world(db: Database, agents: int = 1) -> tuple[CampaignRoom, Clock, list[Any], Any]:
    """Team north, its agents (rows made directly: no password hashing) and a running campaign."""
    admin = Person(None, "admin", None)
    async with db.write() as s:
        rows = [User(login=f"a{i}", password_hash="-", role="agent", display_name=f"A{i}", team="north")
                for i in range(agents)]  # fmt: skip
        team = Team(name="north", label="North", created_at=TUESDAY_NOON_SHANGHAI)
        s.add_all([*rows, team])
        await s.flush()
        people = [Person(r.id, "agent", "north") for r in rows]
        team_id = team.id
    customers = CustomerService(db, "CN", "Asia/Shanghai")
    clock = Clock(TUESDAY_NOON_SHANGHAI)
    room = CampaignRoom.build(customers, CustomerProfiles(customers), clock=clock)
    body = {"name": "Renewals", "team_id": team_id, "retry": {"busy": 15, "no_answer": 60}, "max_attempts": 2}
    campaign = await room.campaigns.create(body, admin)
    await room.campaigns.move(campaign["id"], "start", admin)
    return room, clock, people, campaign


def _csv(count: int) -> str:
    return "number,name\n" + "".join(f"+86138{i:08d},C{i}\n" for i in range(count))


async def test_csv_import_adds_good_rows_and_reports_each_bad_one(db: Database) -> None:
    room, _, _, campaign = await _world(db)
    async with db.write() as s:
        s.add(DoNotCall(e164="+8613800000009", reason="asked", created_at=TUESDAY_NOON_SHANGHAI))
    text = "number,name,timezone,customer_id\n+8613800000001,Li,,\nabc,Bad,,\n+8613800000002,X,Mars/Base,\n"
    text += "+8613800000003,Y,,999\n+8613800000009,Blocked,,\n+8613800000001,Again,,\n"
    result = await room.lists.from_csv(campaign["id"], _admin(), text)
    assert result["added"] == 1 and result["duplicates"] == 1 and result["skipped_dnc"] == 1
    assert [(e["row"], e["field"]) for e in result["errors"]] == [
        (3, "number"), (4, "timezone"), (5, "customer_id"), (6, "number"),
    ]  # fmt: skip


def _admin() -> Any:
    return type("Admin", (), {"id": None, "role": "admin", "team": None})()


async def test_no_entry_is_ever_reserved_twice_under_concurrency(db: Database) -> None:
    room, _, agents, campaign = await _world(db, agents=6)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(4))
    got = await asyncio.gather(*(room.work.reserve(campaign["id"], a) for a in agents))
    attempts = [a for a in got if a is not None]
    assert len(attempts) == 4  # four entries, six agents: two get nothing
    async with db.read() as s:
        entries = [(await s.get(CampaignAttempt, a)).entry_id for a in attempts]
    assert len(set(entries)) == 4


async def test_one_agent_asking_twice_at_once_gets_one_entry(db: Database) -> None:
    room, _, (agent,), campaign = await _world(db)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(3))
    got = await asyncio.gather(
        *(room.work.reserve(campaign["id"], agent) for _ in range(2)), return_exceptions=True
    )
    assert sum(isinstance(g, int) for g in got) == 1  # the other: "finish the open attempt first"
    assert [type(g).__name__ for g in got if not isinstance(g, int)] == ["Conflict"]


async def test_dnc_and_window_are_checked_again_at_the_moment_of_dialing(db: Database) -> None:
    room, clock, (agent,), campaign = await _world(db)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(2))
    first = await room.work.reserve(campaign["id"], agent)
    async with db.write() as s:  # the customer asks not to be called while the card is open
        s.add(DoNotCall(e164="+8613800000000", reason="asked", created_at=clock.now))
    with pytest.raises(CannotDialNow) as refused:
        await room.work.start_dial(first, agent, "pbx", "c1")
    assert refused.value.reason == "dnc"
    second = await room.work.reserve(campaign["id"], agent)
    clock.now += timedelta(hours=9)  # 21:00 in Shanghai: the window closed while the card was open
    with pytest.raises(CannotDialNow) as late:
        await room.work.start_dial(second, agent, "pbx", "c2")
    assert late.value.reason == "outside_window"
    assert await room.work.reserve(campaign["id"], agent) is None  # nothing callable at 21:00


async def test_network_outcomes_schedule_retries_until_max_attempts_then_fail(db: Database) -> None:
    room, clock, (agent,), campaign = await _world(db)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(1))
    for n, outcome in enumerate(("busy", "no_answer"), start=1):
        attempt = await room.work.reserve(campaign["id"], agent)
        assert attempt is not None, f"attempt {n} should be due"
        await room.work.start_dial(attempt, agent, "pbx", f"c{n}")
        await room.work.network_outcome("pbx", f"c{n}", outcome, answered=False)
        async with db.read() as s:
            entry = await s.scalar(select(CampaignEntry))
        assert entry.attempts == n and entry.last_outcome == outcome
        clock.now += timedelta(minutes=15)
    assert entry.status == "failed"  # max_attempts 2


async def test_voicemail_from_the_agent_overrides_an_answered_network_outcome(db: Database) -> None:
    room, clock, (agent,), campaign = await _world(db)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(1))
    attempt = await room.work.reserve(campaign["id"], agent)
    await room.work.start_dial(attempt, agent, "pbx", "c1")
    await room.work.network_outcome("pbx", "c1", "answered", answered=True)
    await room.work.agent_outcome(attempt, agent, "voicemail", "left a message")
    async with db.read() as s:
        entry = await s.scalar(select(CampaignEntry))
    assert entry.status == "pending" and entry.last_outcome == "voicemail"
    assert entry.next_attempt_at == clock.now + timedelta(minutes=240)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    hours=st.lists(st.integers(0, 24 * 7), min_size=1, max_size=6),
    zones=st.lists(
        st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/London"]), min_size=3, max_size=3
    ),
    blocked=st.sets(st.integers(0, 2)),
)
async def test_the_service_never_dials_on_dnc_or_outside_the_window(
    db: Database, hours, zones, blocked
) -> None:
    room, clock, (agent,), campaign = await _world_once(db)
    async with db.write() as s:
        for entry in await s.scalars(select(CampaignEntry)):
            await s.delete(entry)
        await s.execute(DoNotCall.__table__.delete())
    text = "number,name,timezone\n" + "".join(f"+86138{i:08d},C{i},{z}\n" for i, z in enumerate(zones))
    await room.lists.from_csv(campaign["id"], _admin(), text)
    async with db.write() as s:
        for i in blocked:
            s.add(DoNotCall(e164=f"+86138{i:08d}", reason="", created_at=clock.now))
    for step, hour in enumerate(hours):
        clock.now = TUESDAY_NOON_SHANGHAI + timedelta(hours=hour)
        attempt = await room.work.reserve(campaign["id"], agent)
        if attempt is None:
            continue
        try:
            dial = await room.work.start_dial(attempt, agent, "pbx", f"h{step}")
        except CannotDialNow:
            continue
        entry = await _entry_of(db, attempt)
        local = clock.now.astimezone(__import__("zoneinfo").ZoneInfo(entry.timezone))
        assert entry.number == dial.number and int(entry.number[-1]) not in blocked
        assert local.isoweekday() <= 5 and 9 <= local.hour < 20
        await room.work.network_outcome("pbx", f"h{step}", "answered", answered=True)


_ONCE: dict[int, Any] = {}


async def _world_once(db: Database) -> Any:
    if id(db) not in _ONCE:
        _ONCE.clear()
        _ONCE[id(db)] = await _world(db)
    return _ONCE[id(db)]


async def _entry_of(db: Database, attempt_id: int) -> CampaignEntry:
    async with db.read() as s:
        attempt = await s.get(CampaignAttempt, attempt_id)
        return await s.get(CampaignEntry, attempt.entry_id)


async def test_a_call_the_pbx_lost_unseen_ends_its_attempt_as_failed_and_frees_the_agent(
    db: Database,
) -> None:
    room, _, (agent,), campaign = await _world(db)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(2))
    attempt = await room.work.reserve(campaign["id"], agent)
    await room.work.start_dial(attempt, agent, "pbx", "lost-1")
    assert await room.work.resynced("pbx", ("some-other-call",)) == 1
    async with db.read() as s:
        row = await s.get(CampaignAttempt, attempt)
        entry = await s.get(CampaignEntry, row.entry_id)
    assert (row.status, row.outcome) == ("closed", "failed")
    assert (entry.status, entry.last_outcome) == ("pending", "failed")
    assert await room.work.reserve(campaign["id"], agent) is not None  # the agent's line is free again


async def test_a_customer_search_adds_every_number_in_the_customers_own_zone(db: Database) -> None:
    room, _, _, campaign = await _world(db)
    customers = room.lists.customers
    await customers.create(
        "Ada Renewal", ["+12125551234", "+8613900000001"], region="east", timezone="Europe/London"
    )
    await customers.create("Bo Renewal", ["+8613900000002"], region="east")
    await customers.create("Cy Other", ["+8613900000003"], region="west")
    async with db.write() as s:
        s.add(DoNotCall(e164="+8613900000002", reason="asked", created_at=TUESDAY_NOON_SHANGHAI))

    result = await room.lists.from_search(campaign["id"], _admin(), "Renewal", {"region": "east"})

    assert result == {"added": 2, "skipped_dnc": 1, "duplicates": 0}
    async with db.read() as s:
        rows = list(await s.scalars(select(CampaignEntry).order_by(CampaignEntry.number)))
    assert [(r.number, r.customer_name, r.timezone) for r in rows] == [
        ("+12125551234", "Ada Renewal", "Europe/London"), ("+8613900000001", "Ada Renewal", "Europe/London"),
    ]  # fmt: skip
    again = await room.lists.from_search(campaign["id"], _admin(), "Renewal", {"region": "east"})
    assert again == {"added": 0, "skipped_dnc": 1, "duplicates": 2}


async def test_the_dialer_works_only_running_progressive_campaigns(db: Database) -> None:
    room, _, _, campaign = await _world(db)
    assert await room.work.progressive_campaigns() == {}  # a preview campaign
    await room.campaigns.update(campaign["id"], {"mode": "progressive"}, _admin())
    assert await room.work.progressive_campaigns() == {"north": [campaign["id"]]}
    await room.campaigns.move(campaign["id"], "pause", _admin())
    assert await room.work.progressive_campaigns() == {}


async def test_a_caller_id_the_pbx_cannot_send_is_refused_naming_the_field(db: Database) -> None:
    room, _, _, campaign = await _world(db)
    for bad in ("ACME Sales", "+86 138", "1" * 65):
        with pytest.raises(Invalid) as refused:
            await room.campaigns.update(campaign["id"], {"caller_id": bad}, _admin())
        assert refused.value.field == "caller_id"
    for good in ("", "+8610800", "95588"):
        assert (await room.campaigns.update(campaign["id"], {"caller_id": good}, _admin()))[
            "caller_id"
        ] == good


async def test_pausing_closes_open_cards_uncounted_and_frees_the_agent(db: Database) -> None:
    room, _, (agent,), campaign = await _world(db)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(2))
    held = await room.work.reserve(campaign["id"], agent)
    await room.campaigns.move(campaign["id"], "pause", _admin())
    async with db.read() as s:
        attempt = await s.get(CampaignAttempt, held)
        entry = await s.get(CampaignEntry, attempt.entry_id)
    assert (attempt.status, attempt.skip_reason) == ("closed", "paused")
    assert (entry.status, entry.attempts, entry.reserved_by) == ("pending", 0, None)
    assert await room.work.current(agent) is None  # nothing left to "finish first"
    await room.campaigns.move(campaign["id"], "start", _admin())
    assert await room.work.reserve(campaign["id"], agent) is not None


async def test_dialing_a_card_of_a_campaign_paused_meanwhile_closes_it(db: Database) -> None:
    room, _, (agent,), campaign = await _world(db)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(1))
    held = await room.work.reserve(campaign["id"], agent)
    async with db.write() as s:  # paused by another instance between the card and the click
        (await s.get(Campaign, campaign["id"])).status = "paused"
    with pytest.raises(CampaignHalted):
        await room.work.start_dial(held, agent, "pbx", "c1")
    entry = await _entry_of(db, held)
    assert (entry.status, entry.attempts) == ("pending", 0)
    assert await room.work.current(agent) is None


async def test_a_reservation_past_its_time_does_not_block_the_agent(db: Database) -> None:
    room, clock, (agent,), campaign = await _world(db)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(2))
    assert await room.work.reserve(campaign["id"], agent) is not None
    clock.now += timedelta(minutes=11)
    assert await room.work.current(agent) is None
    assert await room.work.reserve(campaign["id"], agent) is not None


async def test_bad_csv_files_and_ids_are_reported_not_crashed_on_and_rows_count_file_lines(
    db: Database,
) -> None:
    room, _, _, campaign = await _world(db)
    with pytest.raises(Invalid) as huge:
        await room.lists.from_csv(
            campaign["id"], _admin(), "number,name\n+8613800000001," + "x" * 140_000 + "\n"
        )
    assert huge.value.field == "file"
    text = 'number,name,customer_id\n\n+8613800000001,"two\nlines",\nabc,Bad,\n'  # a blank line; 2-line name
    text += "+8613800000002,Big,99999999999999999999\n"
    result = await room.lists.from_csv(campaign["id"], _admin(), text)
    assert result["added"] == 1
    assert [(e["row"], e["field"]) for e in result["errors"]] == [(5, "number"), (6, "customer_id")]


async def test_a_late_verdict_on_an_old_call_does_not_reopen_its_entry(db: Database) -> None:
    room, clock, (agent,), campaign = await _world(db)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(1))
    first = await room.work.reserve(campaign["id"], agent)
    await room.work.start_dial(first, agent, "pbx", "c1")
    await room.work.network_outcome("pbx", "c1", "busy", answered=False)
    clock.now += timedelta(minutes=15)
    second = await room.work.reserve(campaign["id"], agent)
    await room.work.start_dial(second, agent, "pbx", "c2")
    await room.work.network_outcome("pbx", "c2", "answered", answered=True)
    await room.work.agent_outcome(first, agent, "no_answer")  # about the first call, given late
    entry = await _entry_of(db, second)
    assert (entry.status, entry.last_outcome) == ("done", "answered")


async def test_progressive_dials_are_withdrawn_uncounted_or_given_up_when_stale(db: Database) -> None:
    room, clock, agents, campaign = await _world(db, agents=2)
    await room.campaigns.update(campaign["id"], {"mode": "progressive"}, _admin())
    await room.lists.from_csv(campaign["id"], _admin(), _csv(2))
    ids = []
    for n, agent in enumerate(agents):
        ids.append(await room.work.reserve(campaign["id"], agent, mode="progressive"))
        await room.work.start_dial(ids[-1], agent, "pbx", f"p{n}")
    mine = await inflight.dialing(room.work, agent_id=agents[0].id)
    assert [d.attempt_id for d in mine] == [ids[0]]
    assert await inflight.withdraw(room.work, ids[0], "agent_left")
    assert (await _entry_of(db, ids[0])).attempts == 0
    assert await inflight.dialing(room.work, idle=True) == []  # running: nothing to withdraw
    await room.campaigns.move(campaign["id"], "pause", _admin())
    assert [d.attempt_id for d in await inflight.dialing(room.work, idle=True)] == [ids[1]]
    clock.now += timedelta(seconds=90)
    assert [d.attempt_id for d in await inflight.give_up_stale(room.work, timedelta(seconds=85))] == [ids[1]]
    entry = await _entry_of(db, ids[1])
    assert (entry.attempts, entry.last_outcome) == (1, "failed")


async def test_open_zone_entries_are_found_behind_many_closed_or_blocked_ones(db: Database) -> None:
    room, _, (agent,), campaign = await _world(db)
    night = "".join(f"+1212555{i:04d},N{i},America/New_York\n" for i in range(1001))  # 23:00 there
    await room.lists.from_csv(campaign["id"], _admin(), "number,name,timezone\n" + night)
    await room.lists.from_csv(campaign["id"], _admin(), _csv(60))
    async with db.write() as s:  # the first full batch of open-zone numbers asked not to be called
        s.add_all(
            DoNotCall(e164=f"+86138{i:08d}", reason="", created_at=TUESDAY_NOON_SHANGHAI) for i in range(50)
        )
    attempt = await room.work.reserve(campaign["id"], agent)
    assert attempt is not None and (await _entry_of(db, attempt)).number == "+8613800000050"


async def test_a_callback_for_a_number_alone_keeps_the_numbers_own_time_zone(db: Database) -> None:
    room, _, (agent,), _ = await _world(db)
    callbacks = CallbackService(db, room.lists.customers)
    made = await callbacks.create(agent, "+12125550100", datetime(2027, 3, 3, 10, 0))  # 10:00 in New York
    assert made.scheduled_at == datetime(2027, 3, 3, 15, 0, tzinfo=UTC)
