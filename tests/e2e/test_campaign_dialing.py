"""Outbound campaigns against the simulated Asterisk: progressive and preview dialing end to end.

The simulator plays each customer's phone as the test sets it (pbx.outbound): answered, unanswered,
busy, unreachable. The real service dials, follows the calls' events, writes call records and
schedules retries; the agent's phone rings only for customers who answered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from callcenter.service import Service
from callcenter.settings import CampaignSettings, CrmSettings
from crm_core.admin.models import Team
from crm_core.callbacks.models import DoNotCall
from crm_core.campaigns.models import CampaignAttempt, CampaignEntry
from crm_core.campaigns.progress import progress
from crm_core.events import CallOffered
from crm_core.models import CallRecord, User
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.e2e.conftest import PASSWORD, make_settings
from tests.polling import eventually
from tests.signin import client  # noqa: F401  (shared fixture)

NUMBERS = ["+8613800000001", "+8613800000002", "+8613800000003", "+8613800000004"]
ALWAYS = {"start": "00:00", "end": "23:59", "days": [1, 2, 3, 4, 5, 6, 7]}
ADMIN = type("Admin", (), {"id": None, "role": "admin", "team": None})()


@pytest.fixture
async def service(tmp_path: Path, ami: AmiServer, pbx: Pbx) -> AsyncIterator[Service]:
    """The e2e service with a fast dialer, no wrap-up, and agent 1001 in team "north"."""
    base = make_settings(tmp_path, ami.port)
    settings = dataclasses.replace(
        base,
        crm=CrmSettings(callback_window="00:00-23:59:59", wrapup_seconds=0.0),
        campaigns=CampaignSettings(dialer_tick_seconds=0.1, progressive_ring_seconds=5.0),
    )
    svc = Service(settings)
    await svc.start()
    try:
        await svc.users.create(
            "agent1001", PASSWORD, "李娜", interface="Local/1001@agents/n", extension="1001"
        )
        await svc.users.create("boss", PASSWORD, "Boss", role="admin")
        async with svc.db.write() as s:
            s.add(Team(name="north", label="North"))
            await s.execute(update(User).where(User.login == "agent1001").values(team="north"))
        await eventually(lambda: svc.pbx_links["test"].connected)
        yield svc
    finally:
        await svc.stop()


async def _campaign(svc: Service, mode: str, numbers: list[str]) -> int:
    admin = ADMIN
    async with svc.db.read() as s:
        team_id = await s.scalar(select(Team.id).where(Team.name == "north"))
    retry = {"no_answer": 60, "busy": 15, "voicemail": 240, "wrong_number": None}
    body = {"name": "Renewals", "team_id": team_id, "mode": mode, "window": ALWAYS, "retry": retry}
    campaign = await svc.campaigns.campaigns.create(body, admin)
    csv = "number,name\n" + "".join(f"{n},Customer {i}\n" for i, n in enumerate(numbers))
    assert (await svc.campaigns.lists.from_csv(campaign["id"], admin, csv))["added"] == len(numbers)
    await svc.campaigns.campaigns.move(campaign["id"], "start", admin)
    return campaign["id"]


async def _rows(svc: Service, model: Any) -> list[Any]:
    async with svc.db.read() as s:
        return list(await s.scalars(select(model).order_by(model.id)))


async def test_progressive_dialing_records_each_network_outcome_and_rings_the_agent_only_when_answered(
    service: Service, pbx: Pbx, open_console
) -> None:
    pbx.outbound.update({NUMBERS[1]: "no_answer", NUMBERS[2]: "busy", NUMBERS[3]: "unreachable"})
    offers: list[CallOffered] = []

    async def seen(event: CallOffered) -> None:
        offers.append(event)

    service.bus.subscribe("test-offers", seen, CallOffered)
    console = await open_console("agent1001")
    campaign_id = await _campaign(service, "progressive", NUMBERS)

    async def all_tried() -> bool:
        entries = await _rows(service, CampaignEntry)
        return all(e.attempts == 1 and e.status in ("done", "pending") for e in entries)

    await eventually(all_tried, within=20)
    entries = await _rows(service, CampaignEntry)
    assert [(e.status, e.last_outcome) for e in entries] == [
        ("done", "answered"), ("pending", "no_answer"), ("pending", "busy"), ("pending", "failed"),
    ]  # fmt: skip
    assert all(e.next_attempt_at is not None for e in entries[1:])  # retried later, per policy
    attempts = await _rows(service, CampaignAttempt)
    assert [a.outcome for a in attempts] == ["answered", "no_answer", "busy", "failed"]
    assert [o.call_id for o in offers] == [attempts[0].call_id]  # unanswered never reached the agent
    pushed = await console.wait_for(lambda m: m["type"] == "campaign_attempt")
    assert pushed["attempt_id"] == attempts[0].id and pushed["entry"]["number"] == NUMBERS[0]

    async def linked() -> bool:
        return all(a.call_record_id is not None for a in await _rows(service, CampaignAttempt))

    await eventually(linked, within=10)
    records = {r.id: r for r in await _rows(service, CallRecord)}
    assert [records[a.call_record_id].outcome for a in attempts] == [
        "answered",
        "no_answer",
        "busy",
        "failed",
    ]
    assert {records[a.call_record_id].direction for a in attempts} == {"outbound"}
    figures = await progress(service.db, campaign_id, ADMIN, service.campaigns.work.clock(), {})
    assert (figures["done"], figures["pending"], figures["total"]) == (1, 3, 4)
    assert sum(h["contacts"] for h in figures["contacts_per_hour"]) == 1  # one customer reached


async def test_with_the_pbx_down_nothing_is_dialed_and_nothing_is_lost(
    service: Service, ami: AmiServer, pbx: Pbx
) -> None:
    await ami.stop()
    await eventually(lambda: not service.pbx_links["test"].connected, within=10)
    await _campaign(service, "progressive", NUMBERS[:1])
    for _ in range(3):
        await service.dialer.tick()
    assert await _rows(service, CampaignAttempt) == []
    assert [(e.status, e.attempts) for e in await _rows(service, CampaignEntry)] == [("pending", 0)]

    await ami.start()

    async def done() -> bool:
        return [e.status for e in await _rows(service, CampaignEntry)] == ["done"]

    await eventually(done, within=20)


async def test_preview_agent_reads_the_card_dials_and_gives_a_verdict(service: Service, client) -> None:  # noqa: F811
    campaign_id = await _campaign(service, "preview", NUMBERS[:3])
    http = await client("agent1001")
    async with http.post(f"/api/v1/campaigns/{campaign_id}/next") as resp:
        assert resp.status == 200, await resp.text()
        card = await resp.json()
    assert card["entry"]["number"] == NUMBERS[0] and card["campaign"]["purpose"] == "follow_up"
    async with http.post(f"/api/v1/campaigns/attempts/{card['attempt_id']}/dial") as resp:
        assert resp.status == 202, await resp.text()
        call_id = (await resp.json())["call_id"]

    async def answered() -> bool:
        rows = await _rows(service, CampaignAttempt)
        return rows[0].call_id == call_id and rows[0].outcome == "answered"

    await eventually(answered, within=15)

    async def record_id() -> int | None:
        return (await _rows(service, CampaignAttempt))[0].call_record_id

    await eventually(record_id, within=10)  # the attempt is linked to the call's record
    wrap_up = {"disposition": "follow_up"}  # the console's ordinary disposition flow
    async with http.post(f"/api/calls/{await record_id()}/disposition", json=wrap_up) as resp:
        assert resp.status == 200, await resp.text()
    verdict = {"outcome": "voicemail", "note": "machine"}
    async with http.post(f"/api/v1/campaigns/attempts/{card['attempt_id']}/outcome", json=verdict) as resp:
        assert resp.status == 200, await resp.text()
        after = await resp.json()
    assert (after["entry"]["status"], after["disposition"]) == ("pending", "follow_up")  # voicemail: retried

    async with http.post(f"/api/v1/campaigns/{campaign_id}/next") as resp:
        second = await resp.json()
    async with http.post(
        f"/api/v1/campaigns/attempts/{second['attempt_id']}/skip", json={"reason": "moved"}
    ) as resp:
        assert resp.status == 200

    async with http.post(f"/api/v1/campaigns/{campaign_id}/next") as resp:
        third = await resp.json()
    async with service.db.write() as s:
        s.add(DoNotCall(e164=NUMBERS[2], reason="asked on another call"))
    async with http.post(f"/api/v1/campaigns/attempts/{third['attempt_id']}/dial") as resp:
        refused = await resp.json()
    assert resp.status == 409 and (refused["error"], refused["closed"]) == ("dnc", True)  # the card closes
    async with http.post(f"/api/v1/campaigns/{campaign_id}/next") as resp:
        assert resp.status == 204  # nothing callable is left now
    entries = await _rows(service, CampaignEntry)
    assert [e.status for e in entries] == ["pending", "skipped", "dnc"]


async def test_an_agent_who_pauses_while_the_customer_rings_is_not_connected_and_nothing_is_counted(
    service: Service, pbx: Pbx
) -> None:
    pbx.outbound[NUMBERS[0]] = "no_answer"  # rings for the whole ring time: the agent leaves meanwhile
    await _campaign(service, "progressive", NUMBERS[:1])

    async def dialing() -> bool:
        return [a.status for a in await _rows(service, CampaignAttempt)] == ["dialing"]

    await eventually(dialing, within=10)
    await service.pbx_links["test"].set_paused("Local/1001@agents/n", True, "lunch", "support")

    async def withdrawn() -> bool:
        return [(a.status, a.skip_reason) for a in await _rows(service, CampaignAttempt)] == [
            ("closed", "agent_left")
        ]

    await eventually(withdrawn, within=10)
    assert [(e.status, e.attempts) for e in await _rows(service, CampaignEntry)] == [("pending", 0)]
