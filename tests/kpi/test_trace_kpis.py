"""KPIs from recorded Asterisk 22 traffic: four real traces replayed through the whole service,
then the figures compared with what the trace timestamps say, worked out here by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from callcenter.service import Service
from crm_core.kpi.report import KpiQuery
from crm_core.kpi.service import KpiReports
from pbxsim.ami_server import AmiServer
from tests.cti.amitrace import read_frames, read_times
from tests.e2e.conftest import (
    PASSWORD,
    eventually,
    make_settings,
    replayer,  # noqa: F401  (the fixture)
)
from tests.e2e.test_trace_replay import A1, A2, SKIP, _pairs

START = 1_800_000_000.0  # 2027-01-15 08:00 UTC, 16:00 in Shanghai
TRACES = (  # each played this many seconds after START
    ("s01_inbound_answered", 0.0),
    ("s02a_abandon_agents_paused", 60.0),
    ("s03a_ringnoanswer_failover", 120.0),
    ("s04b_transfer_blindtransfer", 180.0),
)


@dataclass(frozen=True)
class Admin:
    id: int
    role: str = "admin"


def t(name: str, event: str, nth: int = 0) -> float:
    """When the nth `event` of trace `name` was received, relative to the trace's start."""
    frames, times = read_frames(name), read_times(name, 0.0)
    return [at for f, at in zip(frames, times, strict=True) if f.get("Event") == event][nth]


@pytest.fixture
async def service(tmp_path: Path, replayer: AmiServer) -> AsyncIterator[Service]:  # noqa: F811
    settings = make_settings(tmp_path, replayer.port)
    # no wrap-up: its end is timed on the wall clock, which a replay of 2027 traffic never reaches
    service = Service(replace(settings, crm=replace(settings.crm, wrapup_seconds=0.0)))
    await service.start()
    await service.users.create("agent1001", PASSWORD, "Agent 1001", interface=A1)
    await service.users.create("agent1002", PASSWORD, "Agent 1002", interface=A2)
    # callers 5550001 (s01) and 5550031 (s03a) are one customer: s03a is a repeat of s01
    await service.customers.create("Repeat Caller", ["5550001", "5550031"])
    await eventually(lambda: service.pbx_links["test"].connected)
    yield service
    await service.stop()


async def _replay_all(server: AmiServer, service: Service) -> None:
    for name, offset in TRACES:
        for frame, at in zip(read_frames(name), read_times(name, START + offset), strict=True):
            if "Event" in frame and "ActionID" not in frame and frame["Event"] not in SKIP:
                server.send_event(_pairs(frame), timestamp=at)
        linkedid = next(f["Linkedid"] for f in read_frames(name) if f.get("Event") == "Newchannel")

        async def ended(call_id: str = linkedid) -> bool:
            record = await service.calls.get("test", call_id)
            return record is not None and record.status == "ended"

        await eventually(ended, within=10)
    await service.bus.drain()


def last(name: str, event: str) -> float:
    return [
        at for f, at in zip(read_frames(name), read_times(name, 0.0), strict=True) if f.get("Event") == event
    ][-1]


S01, S02, S03, S04 = (name for name, _offset in TRACES)
WINDOW = 240.0  # the report covers [START, START + 240 s); "now" is its end


async def test_queue_figures_from_four_recorded_calls(replayer: AmiServer, service: Service) -> None:  # noqa: F811
    await _replay_all(replayer, service)
    start, end = datetime.fromtimestamp(START, UTC), datetime.fromtimestamp(START + WINDOW, UTC)
    reports = KpiReports(service.db, service.kpi, clock=lambda: end)
    total = (await reports.kpi(Admin(1), KpiQuery(start, end))).total
    # waits: from QueueCallerJoin to AgentConnect (answered) or QueueCallerAbandon
    w1 = t(S01, "AgentConnect") - t(S01, "QueueCallerJoin")  # 10.510 - 9.005 = 1.505
    w2 = t(S02, "QueueCallerAbandon") - t(S02, "QueueCallerJoin")  # 9.527 - 1.451 = 8.076: not short
    w3 = t(S03, "AgentConnect") - t(S03, "QueueCallerJoin")  # 13.415 - 5.907 = 7.508
    w4 = t(S04, "AgentConnect") - t(S04, "QueueCallerJoin")  # 2.957 - 1.452 = 1.505
    # talk: from the answer to the last hang-up (s04b: the whole conversation, transfer included)
    talk1 = last(S01, "Hangup") - t(S01, "AgentConnect")  # 14.020 - 10.510 = 3.510
    talk3 = last(S03, "Hangup") - t(S03, "AgentConnect")  # 16.421 - 13.415 = 3.006
    talk4 = last(S04, "Hangup") - t(S04, "AgentConnect")  # 9.474 - 2.957 = 6.517
    assert (total["offered"], total["answered"], total["abandoned"], total["short_abandoned"]) == (4, 3, 1, 0)
    assert total["asa"] == round((w1 + w3 + w4) / 3, 2)  # 10.518 / 3 = 3.51
    assert total["avg_wait"] == round((w1 + w2 + w3 + w4) / 4, 2)  # 18.594 / 4 = 4.65
    assert total["max_wait"] == round(w2, 2)  # 8.08
    assert total["aht"] == round((talk1 + talk3 + talk4) / 3, 2)  # no hold, no wrap-up: 13.033 / 3 = 4.34
    assert total["service_level"] == 100.0  # all answered within 20 s; the abandon came before 20 s
    assert total["abandon_rate"] == 25.0  # 1 / 4
    # s01 (5550001) and s03a (5550031) are one customer, calling again 2 minutes later with no
    # disposition on either call: the same matter. s01 is not resolved; s03a and s04b are.
    assert total["fcr"] == round(100 * 2 / 3, 2)
    by_agent = (await reports.kpi(Admin(1), KpiQuery(start, end, "none", ("agent",)))).rows
    # s04b was answered by 1001 and passed on to 1002, who had it last
    assert [(r["agent_name"], r["answered"]) for r in by_agent] == [
        ("Agent 1001", 1), ("Agent 1002", 2), (None, 0),
    ]  # fmt: skip
    every_sl = replace(service.kpi, service_level_abandons="all")
    assert (await KpiReports(service.db, every_sl).kpi(Admin(1), KpiQuery(start, end))).total[
        "service_level"
    ] == 75.0  # 3 within T of 3 answered + 1 abandoned


async def test_seat_figures_from_four_recorded_calls(replayer: AmiServer, service: Service) -> None:  # noqa: F811
    await _replay_all(replayer, service)
    start, end = datetime.fromtimestamp(START, UTC), datetime.fromtimestamp(START + WINDOW, UTC)
    reports = KpiReports(service.db, service.kpi, clock=lambda: end)
    o1, o3, o4 = 0.0, 120.0, 180.0  # when s01, s03a and s04b were played
    # 1001 talks in s01 (AgentConnect to hang-up) and in s04b (AgentConnect to its BlindTransfer)
    busy1 = (last(S01, "Hangup") - t(S01, "AgentConnect")) + (
        t(S04, "BlindTransfer") - t(S04, "AgentConnect")
    )
    # 1002 talks in s03a (AgentConnect to hang-up) and in s04b (from its bridge to the hang-up)
    busy2 = (last(S03, "Hangup") - t(S03, "AgentConnect")) + (last(S04, "Hangup") - t(S04, "BridgeEnter", 2))
    # 1001 is logged in from its first offer (s01) to now, paused by the PBX (Auto-Pause after
    # ringing unanswered in s03a) until it is offered s04b's call
    paused1 = (o4 + t(S04, "AgentCalled")) - (o3 + t(S03, "QueueMemberPause"))  # 181.452 - 130.908
    available1 = (WINDOW - (o1 + t(S01, "AgentCalled"))) - paused1  # 240 - 9.006 - 50.544 = 180.45
    # 1002 is logged in from its first offer (the second AgentCalled of s03a) to now, never paused
    available2 = WINDOW - (o3 + t(S03, "AgentCalled", 1))  # 240 - 131.910 = 108.09
    rows = {r["agent_name"]: r for r in await reports.agents(Admin(1), KpiQuery(start, end))}
    one, two = rows["Agent 1001"], rows["Agent 1002"]
    assert one["occupancy"] == round(100 * busy1 / available1, 2)  # 5.514 / 180.45 = 3.06 %
    assert two["occupancy"] == round(100 * busy2 / available2, 2)  # 6.012 / 108.09 = 5.56 %
    assert one["pause_by_reason"] == {"Auto-Pause": round(paused1, 2)}
    assert (one["logged_in_seconds"], two["pause_seconds"]) == (round(available1 + paused1, 2), 0.0)
    total = (await reports.kpi(Admin(1), KpiQuery(start, end))).total
    assert total["occupancy"] == round(100 * (busy1 + busy2) / (available1 + available2), 2)  # 3.99 %
