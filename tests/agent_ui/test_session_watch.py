"""One watcher for the sessions behind every open socket (agent_ui/session_watch.py).

SessionService.resolve_many against the real database, then the watcher against the running
service: consoles and wallboard screens over real WebSockets on loopback.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from agent_ui import session_watch
from agent_ui.admin.state import ADMIN
from agent_ui.session_watch import SESSION_WATCH
from callcenter.service import Service
from crm_core.models import User, WebSession
from crm_core.sessions import SessionService
from tests.agent_ui.test_console_stream import (  # noqa: F401  (the shared service fixture)
    _close,
    _console,
    _token,
    bare_service,
)
from tests.e2e.conftest import PASSWORD, Console
from tests.polling import eventually
from tests.wallboard.screen import Screen, open_screen

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=8)


def _row_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # the table keeps only this hash


class _Clock:
    """The session clock, set by the test (SessionService's own clock parameter)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _rows(svc: Service) -> dict[str, tuple[int, datetime, datetime]]:
    async with svc.db.read() as s:
        rows = await s.execute(select(WebSession.id, WebSession.user_id, WebSession.created_at,
                                      WebSession.last_seen_at))  # fmt: skip
        return {digest: (user_id, created, seen) for digest, user_id, created, seen in rows}


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- resolve_many on the real database -------------------------------------------------------


async def test_resolve_many_maps_live_tokens_drops_expired_and_touches_only_the_due(
    bare_service: Service,  # noqa: F811
) -> None:
    svc = bare_service
    one = await svc.users.by_login("agent1001")
    two = await svc.users.by_login("agent1002")
    assert one is not None and two is not None
    clock = _Clock(T0)
    sessions = SessionService(svc.db, IDLE, ABSOLUTE, clock=clock)
    assert sessions.touch_every == timedelta(seconds=60)

    clock.now = T0 - timedelta(minutes=2)
    due = await sessions.open(one.id)  # last seen 2 minutes ago: past touch_every
    clock.now = T0 - timedelta(seconds=20)
    fresh = await sessions.open(two.id)  # last seen 20 s ago: not due
    clock.now = T0 - timedelta(minutes=5)
    too_old = await sessions.open(two.id)  # active, but created past the absolute time-out (below)
    clock.now = T0 - timedelta(minutes=31)
    idle = await sessions.open(one.id)  # opened last: the sweep at sign-in would have taken it
    async with svc.db.write() as s:
        await s.execute(update(WebSession).where(WebSession.id == _row_id(too_old))
                        .values(created_at=T0 - ABSOLUTE - timedelta(seconds=1)))  # fmt: skip
    before = await _rows(svc)
    assert {_row_id(t) for t in (due, fresh, too_old, idle)} <= set(before)

    clock.now = T0
    live = await sessions.resolve_many({due, fresh, too_old, idle, "no-such-token", ""})

    assert live == {due: one.id, fresh: two.id}
    after = await _rows(svc)
    assert _row_id(idle) not in after  # idle-expired: gone, not just left out
    assert _row_id(too_old) not in after  # past the absolute time-out: gone too
    assert _as_utc(after[_row_id(due)][2]) == T0  # refreshed to now
    assert after[_row_id(fresh)] == before[_row_id(fresh)]  # not due: not written
    assert after[_row_id(due)][:2] == before[_row_id(due)][:2]  # created_at and owner untouched

    again = await sessions.resolve_many({due, fresh, idle})  # the same round a second later
    assert again == {due: one.id, fresh: two.id}
    assert await _rows(svc) == after


async def test_resolve_many_past_one_in_list_of_500(bare_service: Service) -> None:  # noqa: F811
    """More tokens than one IN (...) takes: every live one found, every due one refreshed."""
    svc = bare_service
    user = await svc.users.by_login("agent1001")
    assert user is not None
    clock = _Clock(T0)
    sessions = SessionService(svc.db, IDLE, ABSOLUTE, clock=clock)
    tokens = [f"bulk-token-{i}" for i in range(1100)]
    seen = T0 - timedelta(minutes=3)
    async with svc.db.write() as s:  # rows as open() makes them, in one go
        s.add_all(WebSession(id=_row_id(t), user_id=user.id, created_at=seen, last_seen_at=seen)
                  for t in tokens)  # fmt: skip
    unknown = {f"unknown-{i}" for i in range(300)}

    live = await sessions.resolve_many(set(tokens) | unknown)

    assert live == dict.fromkeys(tokens, user.id)
    rows = await _rows(svc)
    assert all(_as_utc(rows[_row_id(t)][2]) == T0 for t in tokens)


# --- one watcher for many consoles ------------------------------------------------------------


def _named(name: str) -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if t.get_name() == name]


def _open(console: Console) -> bool:
    return console.reader is not None and not console.reader.done() and console.ws.close_code is None


async def _agents(svc: Service, count: int) -> list[tuple[int, str]]:
    """count agents signed in: (user id, session token)."""
    signed_in = []
    for i in range(count):
        login = f"agent30{i:02d}"
        user = await svc.users.create(login, PASSWORD, f"Agent {i}", interface=f"Local/30{i:02d}@agents/n")
        signed_in.append((user.id, await _token(svc, login)))
    return signed_in


async def test_one_watcher_closes_exactly_the_consoles_whose_session_ended(
    bare_service: Service,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_watch, "SESSION_CHECK_SECONDS", 0.1)  # a setting, not our logic
    svc = bare_service
    agents = await _agents(svc, 4)
    consoles: dict[int, list[Console]] = {}
    for user_id, token in agents:
        consoles[user_id] = [await _console(svc, token) for _ in range(5)]
    await eventually(lambda: svc.hub.streams.console_count() == 20)

    assert len(_named("session-watch")) == 1  # one task for all 20 sockets...
    assert _named("console-session") == []  # ...and none per socket
    watch = svc._runner.app[SESSION_WATCH]  # type: ignore[union-attr]
    assert len(watch._open) == 20

    gone, *kept = agents
    await svc.sessions.close_all_of(gone[0])  # no listener told: only the watcher can notice
    ended = consoles[gone[0]]
    await asyncio.wait_for(asyncio.gather(*(c.reader for c in ended), return_exceptions=True), 5)
    assert [c.ws.close_code for c in ended] == [4401] * 5

    await asyncio.sleep(0.5)  # a few more rounds
    others = [c for user_id, _ in kept for c in consoles[user_id]]
    assert all(_open(c) for c in others)
    await eventually(lambda: svc.hub.streams.console_count() == 15)
    assert len(watch._open) == 15
    assert len(_named("session-watch")) == 1
    await _close(*others)


async def test_open_consoles_keep_their_sessions_alive_through_the_watcher(
    bare_service: Service,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two minutes pass (the service's session clock, moved forward): the watcher's next round
    refreshes the session behind an open console; a session with no socket is not touched."""
    monkeypatch.setattr(session_watch, "SESSION_CHECK_SECONDS", 0.1)
    svc = bare_service
    watched = await _token(svc, "agent1001")
    unwatched = await _token(svc, "agent1002")
    console = await _console(svc, watched)
    before = await _rows(svc)
    later = datetime.now(UTC) + timedelta(minutes=2)
    monkeypatch.setattr(svc.sessions, "clock", lambda: later)  # the clock SessionService is given

    async def refreshed() -> bool:
        return _as_utc((await _rows(svc))[_row_id(watched)][2]) == later

    await eventually(refreshed, 5)
    assert (await _rows(svc))[_row_id(unwatched)] == before[_row_id(unwatched)]
    assert _open(console)
    await _close(console)


async def test_the_watcher_stops_with_the_last_socket_and_starts_again_with_the_next(
    bare_service: Service,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_watch, "SESSION_CHECK_SECONDS", 0.1)
    svc = bare_service
    token = await _token(svc, "agent1001")
    first = await _console(svc, token)
    assert len(_named("session-watch")) == 1
    await _close(first)
    await eventually(lambda: _named("session-watch") == [], 5)  # no socket: no task

    second = await _console(svc, token)
    assert len(_named("session-watch")) == 1
    user = await svc.users.by_login("agent1001")
    assert user is not None
    await svc.sessions.close_all_of(user.id)
    await asyncio.wait_for(asyncio.gather(second.reader, return_exceptions=True), 5)
    assert second.ws.close_code == 4401


# --- wallboard screens ------------------------------------------------------------------------


async def _closed_with(screen: Screen, within: float = 5.0) -> int | None:
    assert screen.reader is not None
    await asyncio.wait_for(asyncio.gather(screen.reader, return_exceptions=True), within)
    return screen.ws.close_code


async def _administered(svc: Service, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The admin room's services and an administrator to act through them; quick session rounds."""
    monkeypatch.setattr(session_watch, "SESSION_CHECK_SECONDS", 0.1)
    admin = svc._runner.app[ADMIN]  # type: ignore[union-attr]
    return admin, await svc.users.create("admin1", PASSWORD, "Admin", role="admin")


async def test_a_wallboard_closes_4409_when_its_team_changes_and_4401_when_deactivated(
    bare_service: Service,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    svc = bare_service
    admin, boss_of_all = await _administered(svc, monkeypatch)
    for name in ("north", "south"):
        await admin.teams.create(boss_of_all, name, name.title())
    boss = await svc.users.create("super1", PASSWORD, "王主管", role="supervisor", team="north")
    port = svc.web_port

    screen = await open_screen(port, "super1")
    await admin.users.update(boss_of_all, boss.id, {"display_name": "王主管 (北)"})  # same audience
    await asyncio.sleep(0.5)  # a few rounds
    assert screen.reader is not None and not screen.reader.done()

    await admin.users.update(boss_of_all, boss.id, {"team": "south"})  # closes nothing itself
    assert await _closed_with(screen) == 4409

    again = await open_screen(port, "super1")  # reconnects: now sees team south
    async with svc.db.write() as s:  # inactive with the session still there: only the verdict sees it
        await s.execute(update(User).where(User.id == boss.id).values(active=False))
    assert await _closed_with(again) == 4401


async def test_a_wallboard_closes_4401_when_its_user_is_no_longer_supervising(
    bare_service: Service,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    svc = bare_service
    admin, boss_of_all = await _administered(svc, monkeypatch)
    boss = await svc.users.create("super1", PASSWORD, "主管", role="supervisor")
    screen = await open_screen(svc.web_port, "super1")
    await admin.users.update(boss_of_all, boss.id, {"role": "agent"})
    assert await _closed_with(screen) == 4401


async def test_a_console_that_stopped_reading_does_not_stall_the_session_checks_of_the_others(
    bare_service: Service,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A console whose client reads nothing (a frozen tab: the server's writes to it are paused)
    and whose session ended must not hold up the rounds: the other sockets are still checked."""
    import aiohttp

    from agent_ui import stream
    from agent_ui.stream import DIRECT_WRITE_LIMIT

    monkeypatch.setattr(session_watch, "SESSION_CHECK_SECONDS", 0.1)
    monkeypatch.setattr(stream, "SEND_TIMEOUT", 60.0)  # the stuck writer does not give up during the test
    svc = bare_service
    stuck_user = await svc.users.by_login("agent1001")
    other_user = await svc.users.by_login("agent1002")
    assert stuck_user is not None and other_user is not None
    async with aiohttp.ClientSession() as http:
        cookie = {"Cookie": f"crm_session={await _token(svc, 'agent1001')}"}
        stuck = await http.ws_connect(f"http://127.0.0.1:{svc.web_port}/ws", headers=cookie)
        assert stuck is not None  # never read from again
        other = await _console(svc, await _token(svc, "agent1002"))
        (stuck_console,) = svc.hub.streams._streams[stuck_user.id].sockets
        transport = stuck_console.transport
        assert transport is not None
        for i in range(600):  # until the kernel buffers are full and its messages wait in a backlog
            if stuck_console.writer is not None:
                break
            svc.hub.streams.push(stuck_user.id, {"type": "bulk", "i": i, "pad": "x" * 60_000})
            await asyncio.sleep(0)
        for i in range(600, 640):  # a little more, so the buffers stay full as the kernel grows them
            svc.hub.streams.push(stuck_user.id, {"type": "bulk", "i": i, "pad": "x" * 60_000})
        sizes = []

        def full() -> bool:  # nothing moves any more: the client reads nothing
            sizes.append((transport.get_write_buffer_size(), len(stuck_console.backlog or ())))
            return len(sizes) > 15 and sizes[-1] == sizes[-15] and sizes[-1][1] > 0

        await eventually(full, 5)
        assert transport.get_write_buffer_size() > DIRECT_WRITE_LIMIT

        await svc.sessions.close_all_of(stuck_user.id)  # the watcher's next round closes the stuck one
        await asyncio.sleep(0.5)
        await svc.sessions.close_all_of(other_user.id)  # and the round after, this one
        try:
            await asyncio.wait_for(asyncio.gather(other.reader, return_exceptions=True), 5)
            assert other.ws.close_code == 4401
        finally:
            transport.abort()
            await _close(other)


async def test_the_watcher_pings_and_closes_only_the_socket_that_stopped_answering(
    bare_service: Service,  # noqa: F811
    monkeypatch,
) -> None:
    import aiohttp

    monkeypatch.setattr(session_watch, "HEARTBEAT_SECONDS", 0.1)  # settings, not our logic
    monkeypatch.setattr(session_watch, "GRACE_SECONDS", 0.1)
    svc = bare_service
    answering = await _console(svc, await _token(svc, "agent1001"))  # websockets answers every ping
    token = await _token(svc, "agent1002")
    async with aiohttp.ClientSession() as http:
        url = f"ws://127.0.0.1:{svc.web_port}/ws"
        silent = await http.ws_connect(url, autoping=False, headers={"Cookie": f"crm_session={token}"})
        pings = 0

        async def read_but_never_answer() -> None:
            nonlocal pings
            async for msg in silent:
                pings += msg.type == aiohttp.WSMsgType.PING

        await asyncio.wait_for(read_but_never_answer(), 5)
        assert pings >= 2  # pinged each heartbeat, then closed for its silence
        assert silent.close_code == 1001
    await asyncio.sleep(0.6)  # six more heartbeats
    assert _open(answering), "a console that answers the pings stays open"
    assert len(_named("socket-heartbeat")) == 1
    await _close(answering)
