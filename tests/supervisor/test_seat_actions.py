"""Force pause, unpause and logout of an agent by their team's supervisor, and who is refused.

Each action is checked by what reached the simulated PBX (QueuePause, QueueRemove), by what
the PBX's answer did to the seat on the wallboard, and by its audit row.
"""

from __future__ import annotations

from typing import Any

import pytest

from callcenter.service import Service
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.e2e.conftest import PASSWORD, eventually
from tests.supervisor.conftest import AGENT_1001, People, not_pings, sent, set_team

AGENT_1003 = "Local/1003@agents/n"
ROUTES = ("/api/supervisor/spy", "/api/supervisor/pause", "/api/supervisor/unpause", "/api/supervisor/logout")


def _state(service: Service, agent: str) -> str | None:
    seat = service.wallboard.board.seats.get(agent)
    return seat.state if seat else None


def _body(route: str, agent_id: int) -> dict[str, Any]:
    extra = {"spy": {"mode": "listen"}, "pause": {"reason": "lunch"}}.get(route.rsplit("/", 1)[1], {})
    return {"agent_id": agent_id, **extra}


async def test_force_pause_with_a_reason_then_unpause_reach_the_pbx_and_the_wallboard(
    service: Service, ami: AmiServer, people: People, client
) -> None:
    await eventually(lambda: _state(service, AGENT_1001) == "ready")
    http = await client("sup_a")
    body = {"agent_id": people.agent_a, "reason": "meeting"}
    async with http.post("/api/supervisor/pause", json=body) as resp:
        assert resp.status == 202, await resp.text()
        assert (await resp.json())["reason"] == "meeting"
    await eventually(lambda: _state(service, AGENT_1001) == "paused")
    assert service.wallboard.board.seats[AGENT_1001].reason == "meeting"
    [pause] = sent(ami, "QueuePause")
    assert (pause["Interface"], pause["Paused"], pause["Reason"]) == (AGENT_1001, "true", "meeting")
    assert "Queue" not in pause  # every queue of the seat

    async with http.post("/api/supervisor/unpause", json={"agent_id": people.agent_a}) as resp:
        assert resp.status == 202, await resp.text()
    await eventually(lambda: _state(service, AGENT_1001) == "ready")
    assert [(a["Interface"], a["Paused"]) for a in sent(ami, "QueuePause")] == [
        (AGENT_1001, "true"),
        (AGENT_1001, "false"),
    ]
    rows = await service.crm.audit.list(entity="seat", entity_id=people.agent_a)
    seat = {"interface": AGENT_1001, "pbx": "test"}
    assert [(r.user_id, r.action, r.after) for r in rows] == [
        (people.sup_a, "force_pause", seat | {"reason": "meeting", "result": "sent"}),
        (people.sup_a, "force_unpause", seat | {"result": "sent"}),
    ]


async def test_force_logout_removes_the_agent_from_every_queue_they_are_in(
    service: Service, ami: AmiServer, pbx: Pbx, people: People, client
) -> None:
    agent = await service.users.create("agent1003", PASSWORD, "Ana", interface=AGENT_1003, extension="1003")
    await set_team(service, "agent1003", "A")
    pbx.add_queue("sales", "rrmemory")
    link = service.pbx_links["test"]
    for queue in ("support", "sales"):
        await link.login(AGENT_1003, queue, "Ana")  # dynamic members, as an agent's own login makes them
    await eventually(lambda: len(service.wallboard.board.seats[AGENT_1003].queues) == 2)

    http = await client("sup_a")
    async with http.post("/api/supervisor/logout", json={"agent_id": agent.id}) as resp:
        assert resp.status == 202, await resp.text()
        assert await resp.json() == {"agent_id": agent.id, "removed": ["sales", "support"]}
    removes = [(a["Queue"], a["Interface"]) for a in sent(ami, "QueueRemove")]
    assert sorted(removes) == [("sales", AGENT_1003), ("support", AGENT_1003)]
    await eventually(lambda: _state(service, AGENT_1003) == "logged_out")
    assert not pbx.state.members_for(AGENT_1003)
    [row] = await service.crm.audit.list(entity="seat", entity_id=agent.id)
    assert (row.action, row.after["queues"], row.after["result"]) == (
        "force_logout", ["sales", "support"], "sent"
    )  # fmt: skip


async def test_given_a_static_member_then_logout_is_409_naming_the_queue_the_pbx_kept(
    service: Service, ami: AmiServer, pbx: Pbx, people: People, client
) -> None:
    await eventually(lambda: _state(service, AGENT_1001) == "ready")
    http = await client("sup_a")
    async with http.post("/api/supervisor/logout", json={"agent_id": people.agent_a}) as resp:
        assert resp.status == 409
        body = await resp.json()
    assert (body["error"], body["queues"], body["removed"]) == ("supervisor.logout.refused", ["support"], [])
    assert len(sent(ami, "QueueRemove")) == 1  # asked; queues.conf members are not the PBX's to remove
    assert AGENT_1001 in pbx.state.queues["support"].members
    [row] = await service.crm.audit.list(entity="seat", entity_id=people.agent_a)
    assert (row.action, row.after["refused"], row.after["result"]) == ("force_logout", ["support"], "refused")


@pytest.mark.parametrize("route", ROUTES)
async def test_given_an_agent_then_every_action_is_403_audited_and_nothing_reaches_the_pbx(
    service: Service, ami: AmiServer, people: People, client, route: str
) -> None:
    http = await client("agent1001")
    before = len(not_pings(ami))
    async with http.post(route, json=_body(route, people.agent_b)) as resp:
        assert resp.status == 403
        assert (await resp.json())["error"] == "error.forbidden"
    assert not_pings(ami)[before:] == []
    rows = await service.crm.audit.list(entity="access")
    assert any(r.action == "refused" and r.after["path"] == route and r.after["why"] == "role" for r in rows)


@pytest.mark.parametrize("route", ROUTES)
async def test_given_another_teams_agent_then_404_audited_and_nothing_reaches_the_pbx(
    service: Service, ami: AmiServer, people: People, client, route: str
) -> None:
    await eventually(lambda: _state(service, AGENT_1001) == "ready")
    http = await client("sup_b")
    before = len(not_pings(ami))
    async with http.post(route, json=_body(route, people.agent_a)) as resp:
        assert resp.status == 404
        assert (await resp.json())["error"] == "error.not_found"
    assert not_pings(ami)[before:] == []
    rows = await service.crm.audit.list(entity="access")
    refused = [r for r in rows if r.user_id == people.sup_b and r.after["path"] == route]
    assert [(r.action, r.after["why"], r.after["status"]) for r in refused] == [("refused", "team", 404)]
    assert await service.crm.audit.list(entity="seat") == []  # no action was taken


async def test_given_a_user_that_does_not_exist_or_oneself_then_404_or_400(
    service: Service, people: People, client
) -> None:
    http = await client("sup_a")
    async with http.post("/api/supervisor/pause", json={"agent_id": 999999, "reason": "lunch"}) as resp:
        assert resp.status == 404
    async with http.post("/api/supervisor/unpause", json={"agent_id": people.sup_a}) as resp:
        assert resp.status == 400 and (await resp.json())["field"] == "agent_id"
    async with http.post("/api/supervisor/unpause", json={"agent_id": people.admin}) as resp:
        assert resp.status == 404  # a supervisor supervises agents, not administrators


BAD: list[tuple[str, Any, str]] = [
    ("/api/supervisor/spy", {"mode": "listen"}, "agent_id"),
    ("/api/supervisor/spy", {"agent_id": "1", "mode": "listen"}, "agent_id"),
    ("/api/supervisor/spy", {"agent_id": 0, "mode": "listen"}, "agent_id"),
    ("/api/supervisor/spy", {"agent_id": True, "mode": "listen"}, "agent_id"),
    ("/api/supervisor/spy", {"agent_id": 1}, "mode"),
    ("/api/supervisor/spy", {"agent_id": 1, "mode": "listen,B"}, "mode"),
    ("/api/supervisor/spy", {"agent_id": 1, "mode": "listen", "phone": "PJSIP/9"}, "phone"),
    ("/api/supervisor/pause", {"agent_id": 1}, "reason"),
    ("/api/supervisor/pause", {"agent_id": 1, "reason": "lunch\r\nAction: QueueRemove"}, "reason"),
    ("/api/supervisor/pause", {"agent_id": 1, "reason": "x" * 65}, "reason"),
    ("/api/supervisor/pause", {"agent_id": 1, "reason": "nap"}, "reason"),  # not an active pause reason
    ("/api/supervisor/unpause", {}, "agent_id"),
    ("/api/supervisor/logout", ["agent_id"], "body"),
    ("/api/supervisor/logout", {"agent_id": None}, "agent_id"),
]


@pytest.mark.parametrize(("route", "body", "field"), BAD)
async def test_given_a_bad_payload_then_400_naming_the_field_and_nothing_reaches_the_pbx(
    service: Service, ami: AmiServer, people: People, client, route: str, body: Any, field: str
) -> None:
    http = await client("sup_a")
    before = len(not_pings(ami))
    async with http.post(route, json=body) as resp:
        assert resp.status == 400, await resp.text()
        assert (await resp.json())["field"] == field
    async with http.post(route, data=b"{not json", headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == 400 and (await resp.json())["field"] == "body"
    assert not_pings(ami)[before:] == []


async def test_given_an_agent_logged_in_to_no_queue_then_409(
    service: Service, people: People, client
) -> None:
    agent = await service.users.create("agent1003", PASSWORD, "Ana", interface=AGENT_1003, extension="1003")
    await set_team(service, "agent1003", "A")
    http = await client("sup_a")
    for route in ROUTES[1:]:
        async with http.post(route, json=_body(route, agent.id)) as resp:
            assert resp.status == 409, route
            assert (await resp.json())["error"] == "supervisor.not_logged_in"


async def test_given_the_pbx_down_then_503_with_retry_after(
    service: Service, ami: AmiServer, people: People, client
) -> None:
    await eventually(lambda: _state(service, AGENT_1001) == "ready")
    http = await client("sup_a")
    await ami.stop()
    await eventually(lambda: not service.pbx_links["test"].connected, within=10)
    for route in ROUTES[1:]:
        async with http.post(route, json=_body(route, people.agent_a)) as resp:
            assert resp.status == 503, route
            assert resp.headers["Retry-After"] == "5"
            assert (await resp.json())["error"] == "supervisor.pbx.down"
