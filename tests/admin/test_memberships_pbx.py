"""Queue membership against the simulated Asterisk: each change is a QueueAdd / QueueRemove over the
real AMI socket; with the PBX away the change waits and goes out with the next one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from callcenter.service import Service
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.admin.conftest import call
from tests.e2e.conftest import PASSWORD
from tests.polling import eventually
from tests.signin import sign_in

M = "/api/v1/admin/queue-memberships"
AGENT_1001, AGENT_1002 = "Local/1001@agents/n", "Local/1002@agents/n"


@pytest.fixture
async def boss(service: Service) -> AsyncIterator[aiohttp.ClientSession]:
    await service.users.create("boss", PASSWORD, "Boss", role="admin")
    http = aiohttp.ClientSession(
        base_url=f"http://127.0.0.1:{service.web_port}", cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    await sign_in(http, "", "boss")
    yield http
    await http.close()


def _queue_actions(ami: AmiServer) -> list[dict[str, str]]:
    wanted = ("queueadd", "queueremove")
    return [a for a in ami.received_actions if a.get("Action", "").lower() in wanted]


def _shape(action: dict[str, str]) -> tuple[str, ...]:
    return tuple(action.get(k, "") for k in ("Action", "Queue", "Interface", "Penalty"))


async def _user_id(service: Service, login: str) -> int:
    user = await service.users.by_login(login)
    assert user is not None
    return user.id


async def _add(boss: aiohttp.ClientSession, user_id: int, queue: str, penalty: int = 0) -> dict[str, Any]:
    status, body = await call(boss, "POST", M, json={"user_id": user_id, "queue": queue, "penalty": penalty})
    assert status == 201, body
    return body


async def test_add_change_and_remove_are_queue_add_and_remove_on_the_pbx(
    service: Service, ami: AmiServer, pbx: Pbx, boss: aiohttp.ClientSession
) -> None:
    pbx.add_queue("sales", "ringall")
    agent = await _user_id(service, "agent1001")
    added = await _add(boss, agent, "sales", penalty=3)
    assert added["outcome"] == "applied" and added["membership"]["state"] == "applied"
    member = pbx.state.queues["sales"].members[AGENT_1001]
    assert (member.penalty, member.membership, member.name) == (3, "dynamic", "李娜")

    row = added["membership"]["id"]
    status, changed = await call(boss, "PATCH", f"{M}/{row}", json={"penalty": 5})
    assert status == 200 and changed["outcome"] == "applied"
    assert pbx.state.queues["sales"].members[AGENT_1001].penalty == 5
    status, removed = await call(boss, "DELETE", f"{M}/{row}")
    assert status == 200 and removed == {"outcome": "applied", "detail": "", "membership": None}
    assert AGENT_1001 not in pbx.state.queues["sales"].members

    assert [_shape(a) for a in _queue_actions(ami)] == [
        ("QueueAdd", "sales", AGENT_1001, "3"),
        ("QueueRemove", "sales", AGENT_1001, ""),  # a new penalty: out, then in again
        ("QueueAdd", "sales", AGENT_1001, "5"),
        ("QueueRemove", "sales", AGENT_1001, ""),
    ]
    status, trail = await call(boss, "GET", "/api/v1/admin/audit", params={"entity": "queue_membership"})
    assert [e["action"] for e in trail["items"]] == ["delete", "update", "create"]
    assert (await call(boss, "GET", "/api/v1/directory"))[1]["queues"] == []


async def test_what_the_pbx_already_has_counts_as_done_and_a_refusal_is_reported(
    service: Service, ami: AmiServer, pbx: Pbx, boss: aiohttp.ClientSession
) -> None:
    agent = await _user_id(service, "agent1002")
    already = await _add(boss, agent, "support")  # a static member in queues.conf: "Already there"
    assert already["outcome"] == "applied"
    assert (await call(boss, "GET", "/api/v1/directory"))[1]["queues"] == ["support"]

    status, body = await call(boss, "DELETE", f"{M}/{already['membership']['id']}")
    assert status == 200 and body["outcome"] == "refused" and "Member not dynamic" in body["detail"]
    assert body["membership"]["state"] == "refused"

    missing = await _add(boss, agent, "nosuchqueue")
    assert missing["outcome"] == "refused" and "No such queue" in missing["detail"]
    status, trail = await call(boss, "GET", "/api/v1/admin/audit", params={"entity": "queue_membership"})
    assert sum(e["action"] == "pbx_refused" for e in trail["items"]) == 2


async def test_given_pbx_down_then_the_change_waits_and_goes_out_with_the_next_one(
    service: Service, ami: AmiServer, pbx: Pbx, boss: aiohttp.ClientSession
) -> None:
    pbx.add_queue("sales", "ringall")
    link = service.pbx_links["test"]
    await ami.stop()
    await eventually(lambda: not link.connected)
    first = await _add(boss, await _user_id(service, "agent1001"), "sales")
    assert first["outcome"] == "pending" and first["membership"]["state"] == "pending_add"
    async with boss.get("/admin/queues?lang=en") as resp:
        assert "1 changes have not reached the PBX yet." in await resp.text()
    assert _queue_actions(ami) == []

    await ami.start()
    await eventually(lambda: link.connected, within=10)
    second = await _add(boss, await _user_id(service, "agent1002"), "sales")
    assert second["outcome"] == "applied"
    assert set(pbx.state.queues["sales"].members) == {AGENT_1001, AGENT_1002}
    _status, listed = await call(boss, "GET", M, params={"queue": "sales"})
    assert {m["state"] for m in listed["items"]} == {"applied"} and listed["total"] == 2


async def test_deactivating_an_agent_takes_them_out_of_their_queues(
    service: Service, ami: AmiServer, pbx: Pbx, boss: aiohttp.ClientSession
) -> None:
    pbx.add_queue("sales", "ringall")
    agent = await _user_id(service, "agent1001")
    await _add(boss, agent, "sales")
    status, body = await call(boss, "POST", f"/api/v1/admin/users/{agent}/deactivate")
    assert status == 200 and body["active"] is False
    assert AGENT_1001 not in pbx.state.queues["sales"].members
    assert (await call(boss, "GET", M))[1]["total"] == 0
