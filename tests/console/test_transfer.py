"""Transfers over HTTP: blind and attended, to an agent or a queue, become the right AMI actions on
the simulated PBX; only the agent talking on the call (or their team's supervisor) may transfer it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from callcenter.service import Service
from crm_core.models import User
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.console.conftest import answered_call, finish, not_pings, sent, talking
from tests.e2e.conftest import PASSWORD, eventually


async def _id(service: Service, login: str) -> int:
    user = await service.users.by_login(login)
    assert user is not None
    return user.id


async def test_given_a_call_when_the_agent_blind_transfers_it_to_an_agent_then_blindtransfer_and_their_pop(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, client
) -> None:
    first, second = await open_console("agent1001"), await open_console("agent1002")
    call = answered_call(pbx, talk=40)
    try:
        pop = await talking(first)
        http = await client("agent1001")
        body = {"pop_id": pop["pop_id"], "mode": "blind", "agent_id": await _id(service, "agent1002")}
        async with http.post("/api/calls/transfer", json=body) as resp:
            assert resp.status == 202, await resp.text()
            assert await resp.json() == {"pop_id": pop["pop_id"], "mode": "blind", "target": "1002"}
        [transfer] = sent(ami, "BlindTransfer")
        assert (transfer["Context"], transfer["Exten"]) == ("transfer", "1002")
        assert transfer["Channel"].startswith("Local/1001@agents-")
        popped = await second.wait_for(lambda m: m["type"] == "pop", within=10)
        assert popped["call"]["call_id"] == pop["call"]["call_id"]
        assert popped["call"]["reason"] == "transfer" and popped["call"]["transferred_by"] == "李娜"
    finally:
        await finish(call)


async def test_given_a_call_when_blind_transferred_to_a_queue_by_its_call_id_then_the_queue_context(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, client
) -> None:
    console = await open_console("agent1001")
    call = answered_call(pbx, talk=40)
    try:
        pop = await talking(console)
        http = await client("agent1001")
        body = {"call_id": pop["call"]["call_id"], "mode": "blind", "queue": "support"}
        async with http.post("/api/calls/transfer", json=body) as resp:
            assert resp.status == 202, await resp.text()
        [transfer] = sent(ami, "BlindTransfer")
        assert (transfer["Context"], transfer["Exten"]) == ("queues", "support")
    finally:
        await finish(call)


async def test_given_a_call_when_the_agent_transfers_attended_then_atxfer_from_their_own_leg(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, client
) -> None:
    console = await open_console("agent1001")
    call = answered_call(pbx, talk=40)
    try:
        pop = await talking(console)
        http = await client("agent1001")
        body = {"pop_id": pop["pop_id"], "mode": "attended", "agent_id": await _id(service, "agent1002")}
        async with http.post("/api/calls/transfer", json=body) as resp:
            assert resp.status == 202, await resp.text()
        [atxfer] = sent(ami, "Atxfer")
        assert (atxfer["Context"], atxfer["Exten"]) == ("transfer", "1002")
        assert atxfer["Channel"].startswith("Local/1001@agents-")
        assert sent(ami, "BlindTransfer") == []
    finally:
        await finish(call)


async def test_given_someone_elses_call_then_404_and_only_the_agents_supervisor_may_transfer_it(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, client
) -> None:
    await service.users.create("sup", PASSWORD, "Supervisor", role="supervisor")
    await service.users.create("sup_b", PASSWORD, "Other team's supervisor", role="supervisor")
    async with service.db.write() as s:
        await s.execute(update(User).where(User.login.in_(["agent1001", "sup"])).values(team="A"))
        await s.execute(update(User).where(User.login == "sup_b").values(team="B"))
    console = await open_console("agent1001")
    call = answered_call(pbx, talk=40)
    try:
        pop = await talking(console)
        body = {"pop_id": pop["pop_id"], "mode": "blind", "queue": "support"}
        other = await client("agent1002")
        before = len(not_pings(ami))
        async with other.post("/api/calls/transfer", json=body) as resp:
            assert resp.status == 404  # not theirs: not even confirmed to exist
        async with other.post("/api/calls/transfer", json=body | {"pop_id": "test:no-such-call"}) as resp:
            assert resp.status == 404
        assert not_pings(ami)[before:] == []
        async with (await client("sup_b")).post("/api/calls/transfer", json=body) as resp:
            assert resp.status == 404  # another team's call
        assert not_pings(ami)[before:] == []
        supervisor = await client("sup")
        async with supervisor.post("/api/calls/transfer", json=body) as resp:
            assert resp.status == 202, await resp.text()
        assert len(sent(ami, "BlindTransfer")) == 1
    finally:
        await finish(call)


BAD: list[tuple[dict[str, Any], str]] = [
    ({"mode": "blind", "queue": "support"}, "pop_id"),  # which call?
    ({"pop_id": "P", "call_id": "x", "mode": "blind", "queue": "support"}, "pop_id"),
    ({"pop_id": "P", "queue": "support"}, "mode"),
    ({"pop_id": "P", "mode": "warm", "queue": "support"}, "mode"),
    ({"pop_id": "P", "mode": "blind"}, "agent_id"),  # to whom?
    ({"pop_id": "P", "mode": "blind", "agent_id": 2, "queue": "support"}, "queue"),
    ({"pop_id": "P", "mode": "blind", "agent_id": "2"}, "agent_id"),
    ({"pop_id": "P", "mode": "blind", "agent_id": 99999}, "agent_id"),
    ({"pop_id": "P", "mode": "blind", "agent_id": "SELF"}, "agent_id"),
    ({"pop_id": "P", "mode": "blind", "queue": "sup port"}, "queue"),
    ({"pop_id": "P", "mode": "blind", "queue": "support\r\nAction: Hangup"}, "queue"),
    ({"pop_id": "P", "mode": "blind", "queue": "support", "context": "admin"}, "context"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
async def test_given_a_bad_transfer_payload_then_400_naming_the_field_and_nothing_is_sent(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, client, body: dict[str, Any], field: str
) -> None:
    console = await open_console("agent1001")
    call = answered_call(pbx, talk=40)
    try:
        pop = await talking(console)
        http = await client("agent1001")
        body = {k: pop["pop_id"] if v == "P" else v for k, v in body.items()}
        if body.get("agent_id") == "SELF":
            body["agent_id"] = (await service.users.by_login("agent1001")).id  # type: ignore[union-attr]
        before = len(not_pings(ami))
        async with http.post("/api/calls/transfer", json=body) as resp:
            assert resp.status == 400, await resp.text()
            assert (await resp.json())["field"] == field
        assert not_pings(ami)[before:] == []
    finally:
        await finish(call)


async def test_given_the_pbx_down_when_transferring_then_503_with_retry_after(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, client
) -> None:
    console = await open_console("agent1001")
    call = answered_call(pbx, talk=60)
    try:
        pop = await talking(console)
        http = await client("agent1001")
        await ami.stop()
        await eventually(lambda: not service.pbx_links["test"].connected, within=10)
        body = {"pop_id": pop["pop_id"], "mode": "blind", "queue": "support"}
        async with http.post("/api/calls/transfer", json=body) as resp:
            assert resp.status == 503, await resp.text()
            assert resp.headers["Retry-After"] == "5"
            assert (await resp.json())["error"] == "console.pbx.down"
    finally:
        await finish(call)
