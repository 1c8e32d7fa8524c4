"""The wallboard against the running service: the simulator plays calls, screens follow over /ws/wallboard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from callcenter.service import Service
from crm_core.events import AgentStateChanged
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import PASSWORD, ami, pbx, service  # noqa: F401  (shared service fixtures)
from tests.polling import eventually
from tests.signin import sign_in
from tests.wallboard.screen import Screen, open_screen, session_cookie

A1001, A1002 = "Local/1001@agents/n", "Local/1002@agents/n"
OpenScreen = Callable[..., Awaitable[Screen]]


@pytest.fixture
async def screens(service: Service) -> AsyncIterator[OpenScreen]:  # noqa: F811
    """Opens wallboard screens as a supervisor ("super1") or an administrator ("admin1")."""
    await service.users.create("super1", PASSWORD, "王主管", role="supervisor")
    await service.users.create("admin1", PASSWORD, "Admin", role="admin")
    opened: list[Screen] = []

    async def open_(login: str = "super1", origin: str | None = None) -> Screen:
        screen = await open_screen(service.web_port, login, origin)
        opened.append(screen)
        return screen

    yield open_
    for screen in opened:
        await screen.close()


def _ready(screen: Screen, agent: str) -> bool:
    return screen.seats.get(agent, {}).get("state") == "ready"


async def test_queue_call_shows_waiting_then_ringing_then_on_call_with_the_customer_then_wrap_up(
    service: Service,  # noqa: F811
    pbx: Pbx,  # noqa: F811
    screens: OpenScreen,
) -> None:
    await service.customers.create("王小明", ["010-12345678"], company="北京示例科技")
    screen = await screens()
    await screen.wait_for(lambda: _ready(screen, A1001) and _ready(screen, A1002))
    snapshot = screen.messages[0]
    names = {s["agent"]: s["name"] for s in snapshot["seats"]}
    assert (names[A1001], names[A1002]) == ("李娜", "Tom")
    assert screen.queues["support"]["ready"] == 2

    await queue_call(pbx, "01012345678", "WANG XM", "support", A1001, member_name="Agent 1001",
                     wait_seconds=2, ring_seconds=2, talk_seconds=3)  # fmt: skip
    await screen.wait_for(lambda: screen.seats[A1001]["state"] == "wrap_up")

    assert screen.states_of(A1001)[-4:] == ["ready", "ringing", "on_call", "wrap_up"]
    on_call = next(s for s in screen.seat_history[A1001] if s["state"] == "on_call")
    call = on_call["call"]
    assert (call["number"], call["name"], call["queue"], call["answered"]) == (
        "010 1234 5678", "王小明", "support", True
    )  # fmt: skip
    assert on_call["since"] == call["since"]  # time in state and call duration both start at the answer
    assert screen.seats[A1001]["call"] is None
    waits = [q["waiting"] for q in screen.queue_history["support"]]
    assert 1 in waits and waits[-1] == 0
    busy = [q["busy"] for q in screen.queue_history["support"]]
    assert max(busy) == 1 and screen.queues["support"]["ready"] == 1  # the other agent stayed ready
    assert screen.seats[A1002]["state"] == "ready"

    service.pbx_links["test"].end_wrap_up(A1001)  # what choosing a disposition does
    await screen.wait_for(lambda: _ready(screen, A1001))
    assert screen.queues["support"]["ready"] == 2


async def test_every_update_reaches_every_screen_and_a_reconnecting_screen_gets_a_fresh_snapshot(
    service: Service,  # noqa: F811
    screens: OpenScreen,
) -> None:
    first, second = await screens("super1"), await screens("admin1")
    await first.wait_for(lambda: _ready(first, A1001))
    await first.close()

    await service.pbx_links["test"].set_paused(A1001, True, "lunch")
    await second.wait_for(lambda: second.seats[A1001]["state"] == "paused")
    assert second.seats[A1001]["reason"] == "lunch"
    assert second.queues["support"]["paused"] == 1

    again = await screens("super1")
    assert again.messages[0]["type"] == "snapshot"
    seat = next(s for s in again.messages[0]["seats"] if s["agent"] == A1001)
    assert (seat["state"], seat["reason"]) == ("paused", "lunch")
    queue = next(q for q in again.messages[0]["queues"] if q["name"] == "support")
    assert (queue["ready"], queue["paused"]) == (1, 1)


async def test_a_new_agent_account_appears_as_a_logged_out_seat_at_once(
    service: Service,  # noqa: F811
    screens: OpenScreen,
) -> None:
    screen = await screens()
    await service.users.create("agent1003", PASSWORD, "Ana", interface="PJSIP/1003", extension="1003")
    await screen.wait_for(lambda: "PJSIP/1003" in screen.seats)
    seat = screen.seats["PJSIP/1003"]
    assert (seat["name"], seat["state"], seat["since"], seat["call"]) == ("Ana", "logged_out", None, None)


async def test_an_agent_is_refused_the_handshake_and_the_refusal_is_audited(
    service: Service,  # noqa: F811
    screens: OpenScreen,
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await open_screen(service.web_port, "agent1001")
    assert refused.value.response.status_code == 403
    assert service.wallboard.screen_count() == 0
    agent = await service.users.by_login("agent1001")
    rows = await service.crm.audit.list(entity="access")
    assert any(
        r.user_id == agent.id and r.action == "refused" and r.after["path"] == "/ws/wallboard" for r in rows
    )


async def test_a_foreign_origin_is_refused_and_the_own_origin_accepted(
    service: Service,  # noqa: F811
    screens: OpenScreen,
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await screens("super1", origin="http://evil.example")
    assert refused.value.response.status_code == 403
    rows = await service.crm.audit.list(entity="access")
    assert any(r.after["why"] == "origin" for r in rows)
    own = await screens("super1", origin=f"http://127.0.0.1:{service.web_port}")
    assert own.messages[0]["type"] == "snapshot"


async def test_without_a_session_the_handshake_is_401(service: Service) -> None:  # noqa: F811
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(f"ws://127.0.0.1:{service.web_port}/ws/wallboard")
    assert refused.value.response.status_code == 401


async def test_an_agent_opening_the_page_gets_the_refusal_page_and_a_supervisor_the_board(
    service: Service,  # noqa: F811
    screens: OpenScreen,
) -> None:
    base = f"http://127.0.0.1:{service.web_port}"
    for login, status in (("agent1001", 403), ("super1", 200), ("admin1", 200)):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await sign_in(http, base, login)
            async with http.get(f"{base}/wallboard?lang=en") as resp:
                text = await resp.text()
                assert resp.status == status, login
                assert resp.content_type == "text/html"
                assert ('<section class="refused"' in text) == (status == 403)
                assert ('id="wb-seats"' in text) == (status == 200)


async def test_a_screen_that_stops_reading_is_dropped_and_never_holds_up_the_others(
    service: Service,  # noqa: F811
    screens: OpenScreen,
) -> None:
    fast = await screens("super1")
    token = await session_cookie(service.web_port, "admin1")
    slow = await websockets.connect(  # reads nothing once one frame is queued: TCP pushes back
        f"ws://127.0.0.1:{service.web_port}/ws/wallboard",
        additional_headers={"Cookie": f"crm_session={token}"},
        max_queue=1,
    )
    await eventually(lambda: service.wallboard.screen_count() == 2)
    filler = "x" * 32_000  # big updates fill the socket buffers quickly
    for n in range(1000):
        state = AgentStateChanged("test", "PJSIP/9999", "paused", f"{n}:{filler}", ("support",), 1000.0 + n)
        await service.wallboard.handle(state)
        # The fast screen reads each update before the next is made.
        await eventually(lambda n=n: len(fast.seat_history.get("PJSIP/9999", ())) > n, step=0)

    await fast.wait_for(lambda: fast.seats.get("PJSIP/9999", {}).get("reason", "").startswith("999:"))
    reasons = [int(s["reason"].split(":")[0]) for s in fast.seat_history["PJSIP/9999"]]
    assert reasons == list(range(1000))  # every update, in order: the fast screen was never held up
    await eventually(lambda: service.wallboard.screen_count() == 1)  # the slow one was let go
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await slow.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013  # "try again later"


async def test_a_burst_of_changes_reaches_a_screen_as_one_delta(
    service: Service,  # noqa: F811
    screens: OpenScreen,
) -> None:
    screen = await screens("admin1")
    await screen.wait_for(lambda: _ready(screen, A1001))
    mark = len(screen.messages)
    for n in range(300):  # like a PBX reconnect with 300 seats: handled without a pause
        seat = AgentStateChanged("test", f"PJSIP/{5000 + n}", "ready", "", ("support",), 1.0)
        await service.wallboard.handle(seat)
    await screen.wait_for(lambda: len(screen.seats) >= 302)
    deltas = screen.messages[mark:]
    assert len(deltas) == 1 and len(deltas[0]["seats"]) == 300
    assert deltas[0]["queues"][0]["ready"] == 302
