"""Recorded Asterisk 22 traffic replayed through the whole service: what must come out of each trace.

A loopback AMI server plays every live event of a trace (list items and replies to the
recording driver's actions left out), stamped with the time it was recorded, to the real
service; we then read the call record, the pop-ups on the agents' consoles and the
seat-state history, as an agent and a supervisor would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter.service import Service
from crm_core.models import CallRecord
from pbxsim.ami_server import AmiServer
from tests.cti.amitrace import read_frames, read_times
from tests.e2e.conftest import PASSWORD, Console, eventually, make_settings

A1, A2 = "Local/1001@agents/n", "Local/1002@agents/n"
START = 1_800_000_000.0
SKIP = {"FullyBooted", "SuccessfulAuth"}


@pytest.fixture
async def service(tmp_path: Path, replayer: AmiServer) -> AsyncIterator[Service]:
    """Overrides the shared fixture: the service connected to the replaying server."""
    service = Service(make_settings(tmp_path, replayer.port))
    await service.start()
    await service.users.create("agent1001", PASSWORD, "Agent 1001", interface=A1)
    await service.users.create("agent1002", PASSWORD, "Agent 1002", interface=A2)
    await eventually(lambda: service.pbx_links["test"].connected)
    yield service
    await service.stop()


def _pairs(frame: dict) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in frame.items():
        pairs.extend((key, v) for v in (value if isinstance(value, list) else [value]))
    return pairs


def _time_of(name: str, event: str, nth: int = 0) -> float:
    frames, times = read_frames(name), read_times(name, START)
    return [t for f, t in zip(frames, times, strict=True) if f.get("Event") == event][nth]


async def _replay(server: AmiServer, service: Service, name: str) -> CallRecord:
    for frame, at in zip(read_frames(name), read_times(name, START), strict=True):
        if "Event" in frame and "ActionID" not in frame and frame["Event"] not in SKIP:
            server.send_event(_pairs(frame), timestamp=at)
    linkedid = next(f["Linkedid"] for f in read_frames(name) if f.get("Event") == "Newchannel")
    await eventually(lambda: _ended(service, linkedid), within=10)
    await service.bus.drain()
    record = await service.calls.get("test", linkedid)
    assert record is not None
    return record


async def _ended(service: Service, call_id: str) -> bool:
    record = await service.calls.get("test", call_id)
    return record is not None and record.status == "ended"


def _states(console: Console) -> list[str]:
    return [m["state"] for m in console.messages if m["type"] in ("pop", "call_state")]


async def test_s01_answered_queue_call(replayer, service, open_console) -> None:
    one, two = await open_console("agent1001"), await open_console("agent1002")
    record = await _replay(replayer, service, "s01_inbound_answered")
    answered = _time_of("s01_inbound_answered", "AgentConnect")
    assert (record.outcome, record.queue, record.caller_number) == ("answered", "support", "5550001")
    assert record.agent_interface == A1 and record.agent_id is not None
    assert record.wait_seconds == pytest.approx(
        answered - _time_of("s01_inbound_answered", "QueueCallerJoin")
    )
    assert record.talk_seconds == pytest.approx(_time_of("s01_inbound_answered", "Hangup", 3) - answered)
    await eventually(lambda: _states(one)[-1:] == ["ended"])
    assert _states(one) == ["ringing", "answered", "ended"] and _states(two) == []
    seats = [s.state for s in await service.seat_history.history(A1)]
    assert seats[-3:] == ["ringing", "on_call", "wrap_up"]


async def test_s02a_abandoned_while_agents_paused(replayer, service, open_console) -> None:
    one = await open_console("agent1001")
    record = await _replay(replayer, service, "s02a_abandon_agents_paused")
    assert (record.outcome, record.abandon_position, record.agent_id) == ("abandoned", 1, None)
    assert record.wait_seconds == pytest.approx(
        _time_of("s02a_abandon_agents_paused", "QueueCallerAbandon")
        - _time_of("s02a_abandon_agents_paused", "QueueCallerJoin"),
        abs=0.05,
    )
    assert _states(one) == []  # nobody was rung, nobody is popped


async def test_s03a_ring_no_answer_then_the_next_agent(replayer, service, open_console) -> None:
    one, two = await open_console("agent1001"), await open_console("agent1002")
    record = await _replay(replayer, service, "s03a_ringnoanswer_failover")
    assert record.outcome == "answered" and record.agent_interface == A2
    agents = [(a.agent_interface, a.result) for a in await service.calls.agents_of(record.id)]
    assert agents == [(A1, "no_answer"), (A2, "answered")]
    await eventually(lambda: _states(two)[-1:] == ["ended"])
    assert _states(one) == ["ringing", "withdrawn"]
    assert _states(two) == ["ringing", "answered", "ended"]


async def test_s04b_blind_transfer_is_one_conversation(replayer, service, open_console) -> None:
    one, two = await open_console("agent1001"), await open_console("agent1002")
    record = await _replay(replayer, service, "s04b_transfer_blindtransfer")
    assert record.transferred and record.outcome == "answered" and record.agent_interface == A2
    agents = [(a.agent_interface, a.result, a.reason) for a in await service.calls.agents_of(record.id)]
    assert agents == [(A1, "answered", "queue"), (A2, "answered", "transfer")]
    async with service.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(CallRecord)) == 1
    await eventually(lambda: _states(two)[-1:] == ["ended"])
    transfer_pop = next(m for m in two.messages if m["type"] == "pop")
    assert transfer_pop["call"]["reason"] == "transfer"
    assert transfer_pop["call"]["transferred_by"] == "Agent 1001"
    assert _states(one)[:2] == ["ringing", "answered"]
