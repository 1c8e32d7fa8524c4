"""The AMI link under faults, seen from the whole service: drop, PBX restart, stall, bad delivery.

Each test plays calls on the simulated Asterisk, injects one fault through the simulator and
asserts what a call center must still see: one call record per call with the right outcome
and times, pop-ups that end, seats that match the PBX. The figures the issue asks for
(reconnect seconds, stall detection, mismatches after resync, duplicate records) are printed
(``pytest -s``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.service import Service
from crm_core.models import CallRecord
from cti.pbx_adapter import PbxAdapter
from pbxsim.ami_server import AmiServer
from pbxsim.control import Command
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from pbxsim.state import IDLE, IN_USE, RINGING
from tests.e2e.conftest import PASSWORD, eventually, make_settings

AGENT_1001, AGENT_1002 = "Local/1001@agents/n", "Local/1002@agents/n"
AGENT_1003, AGENT_1004 = "Local/1003@agents/n", "Local/1004@agents/n"
AGENTS = [
    ("agent1001", "李娜", AGENT_1001),
    ("agent1002", "Tom", AGENT_1002),
    ("agent1003", "Ana", AGENT_1003),
    ("agent1004", "Raj", AGENT_1004),
]


@pytest.fixture
def ping_seconds() -> float:
    return 2.0


@pytest.fixture
async def service(tmp_path: Path, ami: AmiServer, pbx: Pbx, ping_seconds: float) -> AsyncIterator[Service]:
    """The real service with four agents (1003 and 1004 also in "support"), ping as the test asks."""
    pbx.add_members("support", [(AGENT_1003, "Agent 1003"), (AGENT_1004, "Agent 1004")])
    settings = make_settings(tmp_path, ami.port)
    settings = dataclasses.replace(
        settings, pbx=[dataclasses.replace(settings.pbx[0], ping_seconds=ping_seconds)]
    )
    svc = Service(settings)
    await svc.start()
    try:
        for login, name, interface in AGENTS:
            await svc.users.create(login, PASSWORD, name, interface=interface, extension=login[-4:])
        await eventually(lambda: svc.pbx_links["test"].connected)
        yield svc
    finally:
        await svc.stop()


def _now() -> float:
    return asyncio.get_running_loop().time()


async def _rows(service: Service, call_id: str) -> int:
    async with service.db.read() as s:
        query = select(func.count()).where(CallRecord.pbx == "test", CallRecord.call_id == call_id)
        return int(await s.scalar(query) or 0)


async def _duplicate_records(service: Service) -> int:
    """Call ids with more than one record (must be 0: records are keyed by PBX + Linkedid)."""
    async with service.db.read() as s:
        query = (
            select(CallRecord.pbx, CallRecord.call_id)
            .group_by(CallRecord.pbx, CallRecord.call_id)
            .having(func.count() > 1)
        )
        return len((await s.execute(query)).all())


async def _reconnected(link: PbxAdapter, attempts_before: int, within: float = 8.0) -> float:
    """Seconds from now until the link logged in again and resynced."""
    started = _now()
    await eventually(lambda: link.link.attempts > attempts_before and link.connected, within=within)
    return _now() - started


def _long_call(pbx: Pbx, number: str, agent: str | None, **options: float) -> asyncio.Task:
    spec = {"wait_seconds": 2, "ring_seconds": 2, "talk_seconds": 400, **options}
    return asyncio.create_task(
        queue_call(pbx, number, number, "support", agent, member_name=str(agent), **spec)  # type: ignore[arg-type]
    )


async def _finish(*tasks: asyncio.Task) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_given_ami_dropped_while_talking_when_call_ends_then_one_answered_record_with_right_talk(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, caplog: pytest.LogCaptureFixture
) -> None:
    console = await open_console("agent1001")
    link = service.pbx_links["test"]
    call = _long_call(pbx, "13912345678", AGENT_1001, talk_seconds=120)  # 6 s of talk at 20x
    await console.wait_for(lambda m: m.get("state") == "answered", within=10)

    before = link.link.attempts
    await ami.drop_all()
    seconds = await _reconnected(link, before)
    print(f"\n[drop mid-call] reconnect+resync seconds: {seconds:.3f}")
    assert not call.done(), "the drop must happen while the call is still talking"

    result = await asyncio.wait_for(call, 20)
    ended = await console.wait_for(lambda m: m.get("state") == "ended", within=10)
    await service.bus.drain()
    assert ended["outcome"] == "answered"
    assert len(console.of_type("pop")) == 1
    assert await _rows(service, result.linkedid) == 1
    record = await service.calls.get("test", result.linkedid)
    assert record is not None and record.outcome == "answered" and record.status == "ended"
    assert record.talk_seconds == pytest.approx(120.0, abs=0.01)
    assert record.wait_seconds == pytest.approx(4.0, abs=0.01)
    duplicates = await _duplicate_records(service)
    print(f"[drop mid-call] duplicate records: {duplicates}")
    assert duplicates == 0
    assert _errors(caplog) == []


async def test_given_pbx_restarts_mid_call_then_vanished_call_is_closed_and_seats_rebuilt(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, caplog: pytest.LogCaptureFixture
) -> None:
    console = await open_console("agent1001")
    link = service.pbx_links["test"]
    call = _long_call(pbx, "13912345678", AGENT_1001)
    await console.wait_for(lambda m: m.get("state") == "answered", within=10)
    call_id = next(c.linkedid for c in pbx.state.channels.values())
    assert link.seats.state_of(AGENT_1001) == "on_call"

    before, boots = link.link.attempts, ami.boot_count
    try:
        await ami.restart()
        seconds = await _reconnected(link, before)
        print(f"\n[PBX restart] reconnect+resync seconds: {seconds:.3f}")
        assert ami.boot_count == boots + 1 and pbx.state.channels == {}

        ended = await console.wait_for(lambda m: m.get("state") == "ended", within=5)
        assert ended["pop_id"] == f"test:{call_id}"
        await service.bus.drain()
        await eventually(lambda: service.hub.calls == {}, within=3)
        assert link.tracker.active_calls == 0 and link.tracker.call_of_agent(AGENT_1001) is None
        assert await _rows(service, call_id) == 1
        record = await service.calls.get("test", call_id)
        assert record is not None and record.status == "ended"
        print(
            f"[PBX restart] vanished call closed: outcome={record.outcome} talk={record.talk_seconds:.1f} s"
        )
        seats = {s.agent: s for s in link.seat_snapshot()}
        for agent in (AGENT_1001, AGENT_1002, AGENT_1003, AGENT_1004):  # static members survive a restart
            assert seats[agent].queues == ("support",)
            assert seats[agent].state in ("ready", "wrap_up"), seats[agent]
        latest_seat = console.of_type("seat")[-1]
        assert latest_seat["state"] in ("ready", "wrap_up")
        assert await _duplicate_records(service) == 0
        assert _errors(caplog) == []
    finally:
        await _finish(call)


@pytest.mark.parametrize("ping_seconds", [0.5])
async def test_given_pbx_stalls_then_detected_within_three_pings_and_after_resume_next_call_pops(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, ping_seconds: float,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    console = await open_console("agent1001")
    link = service.pbx_links["test"]
    caplog.set_level(logging.WARNING, logger="cti.ami_link")
    before = link.link.attempts

    started = _now()
    ami.stall()
    try:
        await eventually(lambda: not link.connected, within=10 * ping_seconds)
        detected = _now() - started
        print(f"\n[stall] detected in {detected:.3f} s (ping interval {ping_seconds} s)")
        assert detected <= 3 * ping_seconds
        assert any("no Pong" in r.getMessage() for r in caplog.records)
    finally:
        ami.resume()
    seconds = await _reconnected(link, before)
    print(f"[stall] back {seconds:.3f} s after resume")

    call = await queue_call(pbx, "13912345678", "刘洋", "support", AGENT_1001, member_name="Agent 1001",
                            wait_seconds=1, ring_seconds=2, talk_seconds=4)  # fmt: skip
    pop = await console.wait_for(lambda m: m["type"] == "pop")
    assert pop["call"]["call_id"] == call.linkedid
    await console.wait_for(lambda m: m.get("state") == "ended")


async def test_given_duplicated_and_swapped_events_then_one_pop_one_record_right_outcome(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, caplog: pytest.LogCaptureFixture
) -> None:
    ringing, other = await open_console("agent1001"), await open_console("agent1002")
    call = _long_call(pbx, "13912345678", AGENT_1001, wait_seconds=10, ring_seconds=40, talk_seconds=60)
    await ringing.wait_for(lambda m: m["type"] == "pop", within=10)
    ami.resend_last(12)  # the join, AgentCalled, DialBegin... once more
    ami.swap_next()  # the first two events of the answer arrive in the wrong order
    await ringing.wait_for(lambda m: m.get("state") == "answered", within=10)
    ami.resend_last(12)  # AgentConnect, BridgeEnter... once more
    ami.swap_next()  # the first two events of the hang-up arrive in the wrong order

    result = await asyncio.wait_for(call, 20)
    ended = await ringing.wait_for(lambda m: m.get("state") == "ended", within=10)
    ami.resend_last(12)  # the hang-up once more, after the call ended
    await asyncio.sleep(0.3)
    await service.bus.drain()
    assert ended["outcome"] == "answered"
    assert len(ringing.of_type("pop")) == 1
    assert [m for m in ringing.of_type("call_state") if m["state"] == "ended"] == [ended]
    assert other.of_type("pop") == []
    rows = await _rows(service, result.linkedid)
    print(f"\n[duplicates/out of order] records for the call: {rows}")
    assert rows == 1
    record = await service.calls.get("test", result.linkedid)
    assert record is not None and record.outcome == "answered"
    assert record.wait_seconds == pytest.approx(50.0, abs=0.01)
    assert record.talk_seconds == pytest.approx(60.0, abs=0.01)
    assert _errors(caplog) == []


# -- mismatches after resync -------------------------------------------------------------------


def _sim_calls(pbx: Pbx) -> dict[str, set[str]]:
    """The fake Asterisk's live calls (what CoreShowChannels lists): Linkedid -> channel names."""
    calls: dict[str, set[str]] = {}
    for channel in pbx.state.channels.values():
        calls.setdefault(channel.linkedid, set()).add(channel.name)
    return calls


def _sim_agent_call(pbx: Pbx, agent: str) -> str | None:
    stem = agent.removesuffix("/n") + "-"
    return next((c.linkedid for c in pbx.state.channels.values() if c.name.startswith(stem)), None)


def _mismatches(pbx: Pbx, link: PbxAdapter, service: Service) -> list[str]:
    """Every way the CRM's picture differs from the PBX's live state."""
    found: list[str] = []
    sim = _sim_calls(pbx)
    tracker = link.tracker
    if tracker.active_calls != len(sim):
        found.append(f"calls: tracker follows {tracker.active_calls}, PBX has {len(sim)}")
    for call_id, names in sim.items():
        if set(tracker.channels(call_id)) != names:
            found.append(f"call {call_id}: tracker {sorted(tracker.channels(call_id))} PBX {sorted(names)}")
    stale = set(service.hub.calls) - {f"test:{call_id}" for call_id in sim}
    found += [f"pop left open for {key}" for key in sorted(stale)]
    seats = {s.agent: s for s in link.seat_snapshot()}
    for queue in pbx.state.queues.values():
        for member in queue.members.values():
            found += _seat_mismatch(pbx, link, member.interface, member.status, seats.get(member.interface))
    return found


def _seat_mismatch(pbx: Pbx, link: PbxAdapter, agent: str, status: int, seat: object) -> list[str]:
    state = getattr(seat, "state", "missing")
    queues = getattr(seat, "queues", ())
    expected = sorted(q.name for q in pbx.state.queues.values() if agent in q.members)
    found = [f"seat {agent}: queues {queues} vs PBX {expected}"] if sorted(queues) != expected else []
    wanted = {IN_USE: {"on_call", "on_hold"}, RINGING: {"ringing"}, IDLE: {"ready", "paused", "wrap_up"}}
    if state not in wanted.get(status, {state}):
        found.append(f"seat {agent}: {state} vs PBX device status {status}")
    if link.tracker.call_of_agent(agent) != _sim_agent_call(pbx, agent):
        found.append(
            f"agent {agent}: call {link.tracker.call_of_agent(agent)} vs PBX {_sim_agent_call(pbx, agent)}"
        )
    return found


def _hang_up_in_pbx(pbx: Pbx, caller_number: str) -> str:
    """The caller hangs up while the CRM is disconnected (the Hangup reaches nobody)."""
    name = f"Local/{caller_number}@inbound-"
    caller = next(c for c in pbx.state.channels.values() if c.name.startswith(name) and c.name.endswith(";2"))
    caller.owner.post(Command("hangup", caller))
    return caller.linkedid


async def _hang_up_all_and_count(
    service: Service, pbx: Pbx, calls: list[asyncio.Task]
) -> tuple[dict[str, int], int]:
    """End every live call through the Telephony port; records per call id, and duplicated ids."""
    link = service.pbx_links["test"]
    for call_id in list(_sim_calls(pbx)):
        await link.hangup(call_id)
    results = await asyncio.wait_for(asyncio.gather(*calls), 20)
    await eventually(lambda: link.tracker.active_calls == 0 and service.hub.calls == {}, within=5)
    await service.bus.drain()
    rows = {r.linkedid: await _rows(service, r.linkedid) for r in results}
    return rows, await _duplicate_records(service)


async def test_given_drop_during_concurrent_calls_then_zero_mismatches_after_resync_and_no_duplicates(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, caplog: pytest.LogCaptureFixture
) -> None:
    consoles = {login: await open_console(login) for login, _, _ in AGENTS}
    link = service.pbx_links["test"]
    calls = [
        _long_call(pbx, "13900000001", AGENT_1001),  # talking
        _long_call(pbx, "13900000002", AGENT_1002),  # talking
        _long_call(pbx, "13900000003", AGENT_1003, ring_seconds=400),  # ringing
        _long_call(pbx, "13900000004", None, wait_seconds=400),  # waiting in the queue
        _long_call(pbx, "13900000005", AGENT_1004),  # talking, will end while we are away
    ]
    for login in ("agent1001", "agent1002", "agent1004"):
        await consoles[login].wait_for(lambda m: m.get("state") == "answered", within=10)
    await consoles["agent1003"].wait_for(lambda m: m["type"] == "pop", within=10)
    await eventually(lambda: not _mismatches(pbx, link, service), within=5)
    try:
        before = link.link.attempts
        await ami.drop_all()
        gone = _hang_up_in_pbx(pbx, "13900000005")  # ends unseen
        await eventually(lambda: _sim_agent_call(pbx, AGENT_1004) is None, within=2)
        calls.append(
            _long_call(pbx, "13900000006", AGENT_1004, wait_seconds=1, ring_seconds=1)
        )  # starts unseen
        seconds = await _reconnected(link, before)
        await service.bus.drain()
        first = _mismatches(pbx, link, service)
        print(f"\n[resync] reconnect seconds {seconds:.3f}; mismatches after resync: {len(first)} {first}")
        await eventually(lambda: not _mismatches(pbx, link, service), within=3)
        assert first == []
        ended = await consoles["agent1004"].wait_for(
            lambda m: m.get("pop_id") == f"test:{gone}" and m.get("state") == "ended"
        )
        assert ended["outcome"] == "answered"
        print(f"[resync] live calls compared: {len(_sim_calls(pbx))}, seats: {len(link.seat_snapshot())}")

        rows, duplicates = await _hang_up_all_and_count(service, pbx, calls)
        print(f"[resync] records per call: {sorted(rows.values())}; duplicate records: {duplicates}")
        assert set(rows.values()) == {1} and len(rows) == 6 and duplicates == 0
        assert _errors(caplog) == []
    finally:
        await _finish(*calls)


async def test_given_drop_right_after_click_to_dial_then_originate_is_not_sent_again_and_one_record(
    service: Service, ami: AmiServer, pbx: Pbx, open_console, caplog: pytest.LogCaptureFixture
) -> None:
    console = await open_console("agent1001")
    link = service.pbx_links["test"]
    call_id = "c2d-drop-0001"
    await link.originate(AGENT_1001, "13800138000", call_id)
    before = link.link.attempts
    await ami.drop_all()  # the agent's phone rings while the CRM is away
    seconds = await _reconnected(link, before)
    print(f"\n[drop after Originate] reconnect+resync seconds: {seconds:.3f}")
    await eventually(lambda: link.tracker.caller_channel(call_id) is not None, within=5)
    await link.hangup(call_id)
    await eventually(lambda: link.tracker.active_calls == 0 and not pbx.state.channels, within=10)
    await service.bus.drain()
    originates = [a for a in ami.received_actions if a.get("Action") == "Originate"]
    rows = await _rows(service, call_id)
    record = await service.calls.get("test", call_id)
    assert record is not None
    pops = len(console.of_type("pop"))
    print(f"[drop after Originate] Originate sent {len(originates)} time(s); records: {rows}; pops: {pops}")
    assert len(originates) == 1 and rows == 1 and pops == 1
    assert (record.direction, record.status, record.outcome) == ("outbound", "ended", "answered")
    assert _errors(caplog) == []
