"""The console stream over real WebSockets: pop lifecycle, resuming after a reconnect, slow consoles.

Domain events are published on the service's real bus, as cti does; no PBX is involved.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import websockets

from agent_ui.csrf import token_for
from callcenter.service import Service
from callcenter.settings import DatabaseSettings, DemoSettings, ServerSettings, Settings
from crm_core.events import AgentStateChanged, CallAnswered, CallEnded, CallOffered, OfferWithdrawn
from tests.e2e.conftest import PASSWORD, Console, eventually

A1, A2 = "Local/1001@agents/n", "Local/1002@agents/n"
T0 = 1_790_000_000.0


@pytest.fixture
async def bare_service(tmp_path: Path):
    svc = Service(
        Settings(
            server=ServerSettings(port=0),
            database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'crm.sqlite3'}"),
            demo=DemoSettings(enabled="no"),
        )
    )
    await svc.start()
    await svc.users.create("agent1001", PASSWORD, "李娜", interface=A1)
    await svc.users.create("agent1002", PASSWORD, "Tom", interface=A2)
    yield svc
    await svc.stop()


async def _token(svc: Service, login: str) -> str:
    import aiohttp

    url = f"http://127.0.0.1:{svc.web_port}/api/session"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json={"login": login, "password": PASSWORD}) as r,
    ):
        return r.cookies["crm_session"].value


async def _console(svc: Service, token: str, query: str = "") -> Console:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{svc.web_port}/ws{query}", additional_headers={"Cookie": f"crm_session={token}"}
    )
    console = Console(ws)
    console.reader = asyncio.create_task(console._read())
    await console.wait_for(lambda m: m["type"] in ("snapshot",) or "seq" in m)
    return console


async def _close(*consoles: Console) -> None:
    for console in consoles:
        await console.ws.close()
        await asyncio.gather(console.reader, return_exceptions=True)


def _offer(agent: str, call: str = "c1", **kw) -> CallOffered:
    return CallOffered("pbx", call, agent, "13912345678", "刘洋", "support", T0, **kw)


async def test_ringall_pops_both_then_withdraws_the_one_who_did_not_answer(bare_service: Service) -> None:
    svc = bare_service
    one = await _console(svc, await _token(svc, "agent1001"))
    two = await _console(svc, await _token(svc, "agent1002"))
    for event in (_offer(A1), _offer(A2), CallAnswered("pbx", "c1", A1, "support", "139", T0 + 3, 3, 3),
                  OfferWithdrawn("pbx", "c1", A2, "answered_elsewhere", T0 + 3)):  # fmt: skip
        svc.bus.publish(event)
    await one.wait_for(lambda m: m.get("state") == "answered")
    withdrawn = await two.wait_for(lambda m: m.get("state") == "withdrawn")
    assert withdrawn["reason"] == "answered_elsewhere"
    svc.bus.publish(CallEnded("pbx", "c1", "answered", "139", "", "support", A1, T0 + 9, T0, T0 + 3, 3, 6))
    await one.wait_for(lambda m: m.get("state") == "ended")
    await svc.bus.drain()
    assert not any(m.get("state") == "ended" for m in two.messages)  # its card already says "elsewhere"
    assert svc.hub.calls == {}
    await _close(one, two)


async def test_a_second_ring_after_no_answer_pops_again(bare_service: Service) -> None:
    svc = bare_service
    one = await _console(svc, await _token(svc, "agent1001"))
    svc.bus.publish(_offer(A1))
    svc.bus.publish(OfferWithdrawn("pbx", "c1", A1, "no_answer", T0 + 5))
    svc.bus.publish(_offer(A1))
    await eventually(lambda: len(one.of_type("pop")) == 2)
    assert one.of_type("pop")[1]["state"] == "ringing"
    await _close(one)


async def test_pop_says_why_the_call_came(bare_service: Service) -> None:
    svc = bare_service
    one = await _console(svc, await _token(svc, "agent1002"))
    svc.bus.publish(
        _offer(A2, reason="transfer", transferred_by=A1, variables={"CRM_VIP": "1", "OTHER": "x"})
    )
    pop = await one.wait_for(lambda m: m["type"] == "pop")
    assert pop["call"]["reason"] == "transfer"
    assert pop["call"]["transferred_by"] == "李娜"
    assert pop["call"]["variables"] == {"CRM_VIP": "1"}
    await _close(one)


async def test_console_reconnecting_with_its_last_seq_gets_exactly_what_it_missed(
    bare_service: Service,
) -> None:
    svc = bare_service
    token = await _token(svc, "agent1001")
    first = await _console(svc, token)
    stream = first.of_type("hello")[0]["stream"]
    svc.bus.publish(AgentStateChanged("pbx", A1, "ready", "", ("support",), T0))
    seen = await first.wait_for(lambda m: m["type"] == "seat")
    await _close(first)

    svc.bus.publish(_offer(A1))
    svc.bus.publish(AgentStateChanged("pbx", A1, "ringing", "", ("support",), T0 + 1))
    await svc.bus.drain()
    again = await _console(svc, token, f"?stream={stream}&since={seen['seq']}")
    await eventually(lambda: len([m for m in again.messages if "seq" in m]) >= 2)
    replayed = [m for m in again.messages if m["type"] != "hello"]
    assert [m["type"] for m in replayed] == ["pop", "seat"]
    assert [m["seq"] for m in replayed] == [seen["seq"] + 1, seen["seq"] + 2]

    stale = await _console(svc, token, "?stream=other-server&since=1")
    snapshot = await stale.wait_for(lambda m: m["type"] == "snapshot")
    assert [p["pop_id"] for p in snapshot["pops"]] == ["pbx:c1"]
    assert snapshot["seat"]["state"] == "ringing"
    await _close(again, stale)


async def test_a_console_that_stops_reading_does_not_delay_the_others(bare_service: Service) -> None:
    svc = bare_service
    token = await _token(svc, "agent1001")
    stuck = await websockets.connect(
        f"ws://127.0.0.1:{svc.web_port}/ws", additional_headers={"Cookie": f"crm_session={token}"},
        max_queue=1,
    )  # fmt: skip
    stuck.transport.pause_reading()  # a browser tab frozen by the OS
    other = await _console(svc, await _token(svc, "agent1002"))
    big = "很长的名字" * 2000
    loop = asyncio.get_running_loop()
    for i in range(300):
        svc.bus.publish(CallOffered("pbx", f"flood{i}", A1, "139", big, "support", T0))
    started = loop.time()
    svc.bus.publish(_offer(A2, call="urgent"))
    await other.wait_for(lambda m: m["type"] == "pop" and m["pop_id"] == "pbx:urgent", within=10)
    assert loop.time() - started < 5
    stuck.transport.abort()
    await _close(other)


async def test_logout_closes_the_users_open_consoles(bare_service: Service) -> None:
    import aiohttp

    svc = bare_service
    token = await _token(svc, "agent1001")
    console = await _console(svc, token)
    headers = {"Cookie": f"crm_session={token}", "X-CSRF-Token": token_for(token)}
    url = f"http://127.0.0.1:{svc.web_port}/logout"
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.post(url, allow_redirects=False) as resp,
    ):
        assert resp.status == 302
    await asyncio.wait_for(asyncio.gather(console.reader, return_exceptions=True), 5)
    assert console.ws.close_code == 4401


async def test_alarms_reach_supervisors_only(bare_service: Service) -> None:
    from crm_core.events import SystemAlarm

    svc = bare_service
    await svc.users.create("boss", PASSWORD, "主管", role="supervisor")
    boss = await _console(svc, await _token(svc, "boss"))
    agent = await _console(svc, await _token(svc, "agent1001"))
    svc.bus.publish(SystemAlarm("recordings", "disk_full", "store at 100%", T0))
    alarm = await boss.wait_for(lambda m: m["type"] == "alarm")
    assert (alarm["kind"], alarm["detail"]) == ("disk_full", "store at 100%")
    await svc.bus.drain()
    assert not agent.of_type("alarm")
    await _close(boss, agent)


async def test_an_open_console_closes_when_its_session_ends_elsewhere(
    bare_service: Service, monkeypatch
) -> None:
    from agent_ui import session_watch

    monkeypatch.setattr(session_watch, "SESSION_CHECK_SECONDS", 0.1)  # a setting, not our logic
    svc = bare_service
    token = await _token(svc, "agent1001")
    console = await _console(svc, token)
    user = await svc.users.by_login("agent1001")
    assert user is not None
    await svc.sessions.close_all_of(user.id)  # e.g. deactivated by an administrator
    await asyncio.wait_for(asyncio.gather(console.reader, return_exceptions=True), 5)
    assert console.ws.close_code == 4401
