"""Over real sockets, on SQLite and PostgreSQL: a callback and a note made from the pop-up name the call
as the pop-up knows it (pbx + call_id) and are linked to its call record, on the customer's timeline
too; a call that does not exist, or that the agent may not see, is a 400 naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from callcenter.service import Service
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import AGENTS, PASSWORD, eventually, make_settings
from tests.signin import sign_in

CALLBACKS = "/api/v1/callbacks"


@pytest.fixture
async def service(tmp_path: Path, ami: AmiServer, pbx: Pbx, db_url: str) -> AsyncIterator[Service]:
    """The service of tests/e2e, on each database (the links are foreign keys and SQL on both)."""
    settings = make_settings(tmp_path, ami.port)
    svc = Service(replace(settings, database=replace(settings.database, url=db_url)))
    await svc.start()
    try:
        for (interface, _name), ext in zip(AGENTS, ("1001", "1002"), strict=True):
            await svc.users.create(
                f"agent{ext}", PASSWORD, f"Agent {ext}", interface=interface, extension=ext
            )
        await eventually(lambda: svc.pbx_links["test"].connected)
        yield svc
    finally:
        await svc.stop()


async def _popped_call(service: Service, pbx: Pbx, open_console: Any) -> dict[str, Any]:
    """A queue call from 010 1234 5678 that popped agent 1001's card; its call record is written."""
    console = await open_console("agent1001")
    await queue_call(
        pbx, "01012345678", "王小明", "support", "Local/1001@agents/n", member_name="Agent",
        wait_seconds=1.0, ring_seconds=1.0, talk_seconds=5.0,
    )  # fmt: skip
    pop = await console.wait_for(lambda m: m["type"] == "pop")
    await service.bus.drain()
    await eventually(lambda: service.calls.get("test", pop["call"]["call_id"]))
    return pop


async def _client(service: Service, login: str) -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(
        base_url=f"http://127.0.0.1:{service.web_port}", cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    await sign_in(http, "", login, PASSWORD)
    return http


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with http.post(url, json=body) as resp:
        return resp.status, await resp.json()


async def _timeline(http: aiohttp.ClientSession, customer_id: int) -> list[dict[str, Any]]:
    async with http.get(f"/api/v1/customers/{customer_id}/timeline") as resp:
        assert resp.status == 200, await resp.text()
        return (await resp.json())["items"]


async def test_given_popup_when_callback_and_note_name_its_call_then_both_are_linked_on_the_timeline(
    service: Service, pbx: Pbx, open_console: Any
) -> None:
    cid = await service.customers.create("王小明", ["010-12345678"])
    pop = await _popped_call(service, pbx, open_console)
    record = await service.calls.get("test", pop["call"]["call_id"])
    assert record is not None
    call = {"pbx": pop["call"]["pbx"], "call_id": pop["call"]["call_id"]}
    http = await _client(service, "agent1001")
    try:
        status, callback = await _post(
            http, "/api/v1/callbacks", {"number": "01012345678", "customer_id": cid, **call}
        )
        assert status == 201, callback
        assert callback["call_record_id"] == record.id
        async with http.get(f"/api/v1/callbacks/{callback['id']}") as resp:
            assert (await resp.json())["call_record_id"] == record.id
        status, note = await _post(
            http, f"/api/v1/customers/{cid}/notes", {"body": "wants a call at 9", **call}
        )
        assert (status, note["call_record_id"]) == (201, record.id), note
        status, by_id = await _post(
            http, f"/api/v1/customers/{cid}/notes", {"body": "again", "call_record_id": record.id}
        )
        assert (status, by_id["call_record_id"]) == (201, record.id), by_id
        status, unlinked = await _post(http, f"/api/v1/customers/{cid}/notes", {"body": "no call"})
        assert (status, unlinked["call_record_id"]) == (201, None), unlinked
        items = await _timeline(http, cid)
    finally:
        await http.close()
    linked = {
        (i["kind"], i["ref"]): i["data"]["call_record_id"] for i in items if i["kind"] in ("callback", "note")
    }
    assert linked == {
        ("callback", callback["id"]): record.id,
        ("note", note["id"]): record.id,
        ("note", by_id["id"]): record.id,
        ("note", unlinked["id"]): None,
    }
    assert [i["ref"] for i in items if i["kind"] == "call"] == [record.id]  # the item they point at


async def test_given_an_unknown_or_someone_elses_call_then_400_names_the_field_and_nothing_is_made(
    service: Service, pbx: Pbx, open_console: Any
) -> None:
    cid = await service.customers.create("王小明", ["010-12345678"])
    pop = await _popped_call(service, pbx, open_console)
    record = await service.calls.get("test", pop["call"]["call_id"])
    assert record is not None
    owner, other = await _client(service, "agent1001"), await _client(service, "agent1002")
    try:
        async with owner.post(f"/api/v1/customers/{cid}/claim") as resp:
            assert resp.status == 200  # now agent 1002 may see neither the customer nor the call
        notes, call_id, both = f"/api/v1/customers/{cid}/notes", record.call_id, {"call_record_id": record.id}
        cases: list[tuple[aiohttp.ClientSession, str, dict[str, Any], str]] = [
            (owner, CALLBACKS, {"pbx": "test", "call_id": "no-such-call"}, "call_id"),
            (owner, notes, {"pbx": "nowhere", "call_id": call_id}, "call_id"),
            (owner, notes, {"call_record_id": 999999}, "call_record_id"),
            (owner, CALLBACKS, {"pbx": "test"}, "call_id"),
            (owner, notes, {"call_id": call_id}, "pbx"),
            (owner, CALLBACKS, {"pbx": "test", "call_id": call_id, **both}, "call_record_id"),
            (other, CALLBACKS, {"pbx": "test", "call_id": call_id}, "call_id"),
            (other, CALLBACKS, both, "call_record_id"),
        ]  # fmt: skip
        for http, url, link, field in cases:
            body = {"number": "13800138000", **link} if url == CALLBACKS else {"body": "x", **link}
            status, answer = await _post(http, url, body)
            assert (status, answer.get("field")) == (400, field), (url, link, answer)
        items = await _timeline(owner, cid)
        async with owner.get(CALLBACKS) as resp:
            assert (await resp.json())["total"] == 0
    finally:
        await owner.close()
        await other.close()
    assert [i["kind"] for i in items] == ["call"]  # no note, no callback was made
    intruder = await service.users.by_login("agent1002")
    refusals = await service.crm.audit.list(entity="call_record", entity_id=record.id)
    assert intruder is not None and [r.user_id for r in refusals] == [intruder.id] * 2
    assert [r.action for r in refusals] == ["access_refused"] * 2  # agent 1002's two attempts, audited
