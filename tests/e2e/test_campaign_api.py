"""/api/v1/campaigns and /api/v1/dnc over HTTP: managing, list building, progress, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from callcenter.service import Service
from crm_core.admin.models import Team
from crm_core.audit.models import AuditEntry
from crm_core.models import User
from tests.e2e.conftest import PASSWORD
from tests.signin import client  # noqa: F401  (shared fixture)

ALWAYS = {"start": "00:00", "end": "23:59", "days": [1, 2, 3, 4, 5, 6, 7]}


@pytest.fixture
async def people(service: Service) -> dict[str, int]:
    """An administrator, supervisors of teams north and south; agent 1001 in north."""
    ids = {}
    for login, role in (("boss", "admin"), ("sup_north", "supervisor"), ("sup_south", "supervisor")):
        ids[login] = (await service.users.create(login, PASSWORD, login, role=role)).id
    async with service.db.write() as s:
        s.add_all([Team(name="north", label="North"), Team(name="south", label="South")])
        for login, team in (("sup_north", "north"), ("sup_south", "south"), ("agent1001", "north")):
            await s.execute(update(User).where(User.login == login).values(team=team))
        await s.flush()
        ids["north"] = await s.scalar(select(Team.id).where(Team.name == "north"))
    return ids


async def _call(http: Any, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    async with http.request(method, path, **kw) as resp:
        body = await resp.json() if resp.content_type == "application/json" else await resp.text()
        return resp.status, body


async def test_a_supervisor_runs_their_teams_campaign_and_every_status_change_is_audited(
    service: Service,
    client,  # noqa: F811
    people,
) -> None:
    sup = await client("sup_north")
    body = {"name": "Survey", "purpose": "survey", "team_id": people["north"], "window": ALWAYS}
    status, campaign = await _call(sup, "POST", "/api/v1/campaigns", json=body)
    assert status == 201 and campaign["status"] == "draft" and campaign["retry"]["busy"] == 15
    cid = campaign["id"]
    assert (await _call(sup, "POST", f"/api/v1/campaigns/{cid}/pause"))[0] == 409  # a draft is not running
    for verb, expected in (
        ("start", "running"),
        ("pause", "paused"),
        ("start", "running"),
        ("stop", "stopped"),
    ):
        status, changed = await _call(sup, "POST", f"/api/v1/campaigns/{cid}/{verb}")
        assert (status, changed["status"]) == (200, expected)
    assert (await _call(sup, "POST", f"/api/v1/campaigns/{cid}/start"))[0] == 409  # stopped is for good
    async with service.db.read() as s:
        actions = list(await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "campaign")))
    assert actions == ["create", "start", "pause", "start", "stop"]

    other = await client("sup_south")
    assert (await _call(other, "GET", f"/api/v1/campaigns/{cid}"))[0] == 404
    assert (await _call(other, "GET", "/api/v1/campaigns"))[1]["items"] == []
    status, refused = await _call(other, "POST", "/api/v1/campaigns", json=body)  # not their team
    assert (status, refused["field"]) == (400, "team_id")


BAD_FIELDS = [
    ({"window": {"start": "9am"}}, "window.start"),
    ({"window": {"days": [0, 8]}}, "window.days"),
    ({"retry": {"no_answer": -5}}, "retry.no_answer"),
    ({"retry": {"sometimes": 5}}, "retry"),
    ({"max_attempts": 0}, "max_attempts"),
    ({"mode": "predictive"}, "mode"),
    ({"window": "always"}, "window"),
]


async def test_bad_campaign_fields_are_400_naming_the_field(service: Service, client, people) -> None:  # noqa: F811
    admin = await client("boss")
    for change, field in BAD_FIELDS:
        status, body = await _call(admin, "POST", "/api/v1/campaigns", json={"name": "x", **change})
        assert (status, body.get("field")) == (400, field), change
    cid = (await _call(admin, "POST", "/api/v1/campaigns", json={"name": "ok"}))[1]["id"]
    for raw, field in ((b"\xff\xfe\x00", "file"), (b"name\nLi\n", "number"), (b"", "number")):
        status, body = await _call(admin, "POST", f"/api/v1/campaigns/{cid}/entries/import", data=raw)
        assert (status, body.get("field")) == (400, field), raw


async def test_csv_import_reports_bad_rows_and_progress_counts_the_list(
    service: Service,
    client,  # noqa: F811
    people,
) -> None:
    admin = await client("boss")
    body = {"name": "Reminders", "team_id": people["north"], "window": ALWAYS}
    cid = (await _call(admin, "POST", "/api/v1/campaigns", json=body))[1]["id"]
    assert (await _call(admin, "POST", "/api/v1/dnc", json={"number": "13800000003", "reason": "asked"}))[
        0
    ] == 201
    assert (await _call(admin, "POST", "/api/v1/dnc", json={"number": "+8613800000003"}))[0] == 409
    csv = "number,name\n13800000001,Li\n13800000002,Wang\nnot-a-number,X\n13800000003,Blocked\n"
    status, result = await _call(
        admin, "POST", f"/api/v1/campaigns/{cid}/entries/import", data=csv.encode(),
        headers={"Content-Type": "text/csv"},
    )  # fmt: skip
    assert status == 200 and result["added"] == 2
    assert [(e["row"], e["field"]) for e in result["errors"]] == [(4, "number"), (5, "number")]
    status, page = await _call(admin, "GET", f"/api/v1/campaigns/{cid}/entries?status=pending")
    assert page["total"] == 2 and page["items"][0]["number"] == "+8613800000001"
    assert page["items"][0]["timezone"] == "Asia/Shanghai"
    status, progress = await _call(admin, "GET", f"/api/v1/campaigns/{cid}/progress")
    assert (progress["pending"], progress["done"], progress["total"]) == (2, 0, 2)
    assert len(progress["contacts_per_hour"]) == 24
    assert [a["name"] for a in progress["agents"]] == ["李娜"]

    status, dnc = await _call(admin, "GET", "/api/v1/dnc?q=3800000003")
    assert [d["number"] for d in dnc["items"]] == ["+8613800000003"]
    assert (await _call(admin, "DELETE", "/api/v1/dnc/+8613800000003"))[0] == 200
    assert (await _call(admin, "DELETE", "/api/v1/dnc/+8613800000003"))[0] == 404


async def test_agents_see_only_their_teams_running_campaigns_and_cannot_manage(
    service: Service,
    client,  # noqa: F811
    people,
) -> None:
    admin, agent = await client("boss"), await client("agent1001")
    body = {"name": "Sales", "team_id": people["north"], "window": ALWAYS}
    cid = (await _call(admin, "POST", "/api/v1/campaigns", json=body))[1]["id"]
    assert (await _call(agent, "GET", "/api/v1/campaigns"))[1]["items"] == []  # a draft
    await _call(admin, "POST", f"/api/v1/campaigns/{cid}/start")
    assert [c["id"] for c in (await _call(agent, "GET", "/api/v1/campaigns"))[1]["items"]] == [cid]
    assert (await _call(agent, "POST", f"/api/v1/campaigns/{cid}/pause"))[0] == 403
    assert (await _call(agent, "POST", f"/api/v1/campaigns/{cid}/next"))[0] == 204  # an empty list
    assert (await _call(agent, "GET", "/api/v1/campaigns/attempts/current"))[0] == 204
