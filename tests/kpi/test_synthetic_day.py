"""Every KPI of the synthetic day (tests/kpi/day.py), worked out by hand here and compared.

Defaults: T = 20 s, short abandons under 5 s left out, service level counts unanswered calls
that waited more than T ("after_t"), first-contact resolution over 7 days.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from crm_core.kpi.agents import agent_rows
from crm_core.kpi.fcr import first_contact_resolved
from crm_core.kpi.report import KpiData, KpiQuery, kpi_rows, kpi_total
from crm_core.kpi.settings import KpiSettings
from tests.kpi.day import CALLBACKS, CALLS, DAY_END, DAY_START, IN_DAY, LATER, NAMES, REQUESTS, SPANS, TEAMS

SETTINGS = KpiSettings(timezone="Asia/Shanghai")
DAY = KpiQuery(DAY_START, DAY_END)


def _data(settings: KpiSettings = SETTINGS) -> KpiData:
    fcr = first_contact_resolved(IN_DAY, LATER, REQUESTS, settings)
    return KpiData(CALLS, SPANS, CALLBACKS, fcr, TEAMS, NAMES)


def test_first_contact_resolution_call_by_call() -> None:
    # c1 (customer 100, "resolved"): c10 next day is a "complaint", another disposition, but the
    #     service request opened on c1 at 09:10 is still open then -> same matter, not resolved.
    # c2 (customer 101, "follow_up"): c8 at 11:00, same customer, same disposition -> not resolved.
    # c5 (customer 102): nobody calls again -> resolved. c8: no later call of 101 -> resolved.
    # c11 (unknown caller, known by number only, no disposition): no repeat -> resolved.
    # c3, c4, c6, c7 were not answered, c9 is outbound, c12 not over: not measured.
    assert first_contact_resolved(IN_DAY, LATER, REQUESTS, SETTINGS) == {
        1: False, 2: False, 5: True, 8: True, 11: True,
    }  # fmt: skip


def test_fcr_repeat_window_and_matter_rules() -> None:
    # Without the open request, c10's "complaint" is another matter than c1's "resolved".
    assert first_contact_resolved(IN_DAY, LATER, [], SETTINGS)[1] is True
    # c10 starts 1 day and 55 minutes after c1 (09:05): with a 1-day window it comes too late.
    one_day = replace(SETTINGS, fcr_days=1)
    assert first_contact_resolved(IN_DAY, LATER, REQUESTS, one_day)[1] is True


DAY_TOTAL = {
    "interval_start": None,
    "interval_end": None,
    # queue calls of the day: c1 c2 c3 c4 c5 c6 c7 c8 c11 (c9 outbound, c12 not over, c10/c13 other days)
    # c3 waited 3 s < 5 s: a short abandon, left out -> offered = 9 - 1 = 8
    "offered": 8,
    "answered": 5,  # c1 c2 c5 c8 c11
    "abandoned": 2,  # c4 c6
    "short_abandoned": 1,  # c3
    "timed_out": 1,  # c7
    "asa": 17.0,  # (10 + 30 + 15 + 5 + 25) / 5 = 85 / 5
    "avg_wait": 28.5,  # (10 + 30 + 40 + 15 + 13 + 90 + 5 + 25) / 8 = 228 / 8
    "max_wait": 90.0,  # c7
    "aht": 195.0,  # ((300+30) + (200+20) + (120+10) + (100+0) + (180+15)) / 5 = 975 / 5
    # within 20 s: c1 (10) c5 (15) c8 (5) = 3; unanswered after 20 s: c4 (40) c7 (90) = 2
    "service_level": 42.86,  # 3 / (5 + 2) = 42.857 %
    "abandon_rate": 25.0,  # 2 / 8
    # busy (on call + hold + wrap-up) / (ready + ringing + busy), paused and logged out left out:
    # agent 1: 600+300+300 = 1200 / (1800+600 + 1200) = 3600
    # agent 2: 1800+300 = 2100 / (900+300+1500 + 2100) = 4800
    # agent 3: 1200 / (2400 + 1200) = 3600        -> 4500 / 12000
    "occupancy": 37.5,
    "fcr": 60.0,  # resolved c5 c8 c11 = 3 of 5
    "callbacks_made": 3,
    "callbacks_succeeded": 2,  # 13:00 and 15:00 answered
    "satisfaction": 4.0,  # (5 + 3 + 4) / 3
    "surveys": 3,
}


def test_whole_day_totals() -> None:
    assert kpi_total(_data(), DAY, SETTINGS) == DAY_TOTAL


@pytest.mark.parametrize(
    ("mode", "counted", "expected"),
    [
        ("none", False, 60.0),  # 3 / 5 answered
        ("all", False, 37.5),  # 3 / (5 + 2 abandoned + 1 timed out)
        ("after_t", False, 42.86),  # 3 / (5 + 2)
        ("all", True, 33.33),  # short abandons counted: 3 / (5 + 3 + 1)
        ("after_t", True, 42.86),  # c3 waited 3 s, not after T: 3 / 7 still
    ],
)
def test_service_level_per_setting(mode: str, counted: bool, expected: float) -> None:
    settings = replace(SETTINGS, service_level_abandons=mode, short_abandons_counted=counted)
    assert kpi_total(_data(settings), DAY, settings)["service_level"] == expected


def test_short_abandons_counted_when_the_setting_says_so() -> None:
    settings = replace(SETTINGS, short_abandons_counted=True)
    total = kpi_total(_data(settings), DAY, settings)
    assert (total["offered"], total["abandoned"], total["short_abandoned"]) == (9, 3, 1)
    assert total["abandon_rate"] == 33.33  # 3 / 9
    assert total["avg_wait"] == 25.67  # (228 + 3) / 9 = 25.666…
    # a shorter threshold makes c3 (3 s) an ordinary abandon
    settings = replace(SETTINGS, short_abandon_seconds=2)
    total = kpi_total(_data(settings), DAY, settings)
    assert (total["offered"], total["abandoned"], total["short_abandoned"]) == (9, 3, 0)


def test_per_queue() -> None:
    rows = kpi_rows(_data(), KpiQuery(DAY_START, DAY_END, "none", ("queue",)), SETTINGS)
    assert [r["queue"] for r in rows] == ["sales", "support"]
    sales, support = rows
    # sales: c5 answered (15 s), c6 abandoned (13 s); callback at 15:00 answered
    assert {k: sales[k] for k in FIGS} == {
        "offered": 2, "answered": 1, "abandoned": 1, "short_abandoned": 0, "timed_out": 0,
        "asa": 15.0, "avg_wait": 14.0, "max_wait": 15.0,  # (15 + 13) / 2
        "aht": 130.0, "service_level": 100.0,  # 1 / (1 + 0: c6 gave up before T)
        "abandon_rate": 50.0, "occupancy": None,  # seat time is not per queue
        "fcr": 100.0, "callbacks_made": 1, "callbacks_succeeded": 1, "satisfaction": None, "surveys": 0,
    }  # fmt: skip
    # support: c1 c2 c4 c7 c8 c11 offered (c3 short)
    assert {k: support[k] for k in FIGS} == {
        "offered": 6, "answered": 4, "abandoned": 1, "short_abandoned": 1, "timed_out": 1,
        "asa": 17.5,  # (10 + 30 + 5 + 25) / 4
        "avg_wait": 33.33,  # (10 + 30 + 40 + 90 + 5 + 25) / 6 = 200 / 6
        "max_wait": 90.0,
        "aht": 211.25,  # (330 + 220 + 100 + 195) / 4 = 845 / 4
        "service_level": 33.33,  # c1 c8 within T = 2 / (4 + c4 + c7)
        "abandon_rate": 16.67,  # 1 / 6
        "occupancy": None,
        "fcr": 50.0,  # c8 c11 of c1 c2 c8 c11
        "callbacks_made": 2, "callbacks_succeeded": 1,
        "satisfaction": 4.0, "surveys": 3,  # (5 + 3 + 4) / 3
    }  # fmt: skip


FIGS = (
    "offered", "answered", "abandoned", "short_abandoned", "timed_out", "asa", "avg_wait", "max_wait", "aht",
    "service_level", "abandon_rate", "occupancy", "fcr", "callbacks_made", "callbacks_succeeded",
    "satisfaction", "surveys",
)  # fmt: skip


def test_per_team_rows_add_up_to_the_total() -> None:
    rows = kpi_rows(_data(), KpiQuery(DAY_START, DAY_END, "none", ("team",)), SETTINGS)
    assert [r["team"] for r in rows] == ["A", "B", None]
    a, b, nobody = rows
    # team A took c1 c2 c8; agents 1 and 2; callbacks by 1 (answered) and 2
    assert (a["offered"], a["answered"], a["asa"], a["aht"]) == (3, 3, 15.0, 216.67)  # 45/3, 650/3
    assert a["service_level"] == 66.67  # c1, c8 within T of 3
    assert a["occupancy"] == 39.29  # (1200 + 2100) / (3600 + 4800) = 3300 / 8400
    assert (a["fcr"], a["callbacks_made"], a["callbacks_succeeded"]) == (33.33, 2, 1)  # c8 only
    # team B took c5 and c11 (25 s: outside T)
    assert (b["offered"], b["asa"], b["aht"], b["service_level"]) == (2, 20.0, 162.5, 50.0)
    assert (b["occupancy"], b["fcr"], b["satisfaction"]) == (33.33, 100.0, None)
    # nobody answered c4 c6 c7 (c3 short): they belong to no agent and no team
    assert (nobody["offered"], nobody["answered"], nobody["abandoned"], nobody["timed_out"]) == (3, 0, 2, 1)
    assert (nobody["asa"], nobody["avg_wait"], nobody["service_level"]) == (None, 47.67, 0.0)  # 143/3; 0/2
    assert (nobody["abandon_rate"], nobody["occupancy"], nobody["fcr"]) == (66.67, None, None)
    total = kpi_total(_data(), DAY, SETTINGS)
    for name in ("offered", "answered", "abandoned", "short_abandoned", "timed_out", "callbacks_made"):
        assert sum(r[name] for r in rows) == total[name], name


def test_per_agent_rows_name_the_agent() -> None:
    rows = kpi_rows(_data(), KpiQuery(DAY_START, DAY_END, "none", ("agent",)), SETTINGS)
    assert [(r["agent_id"], r["agent_name"]) for r in rows] == [
        (1, "李娜"),
        (2, "Tom"),
        (3, "Wu"),
        (None, None),
    ]
    li = rows[0]
    assert (li["answered"], li["asa"], li["aht"], li["occupancy"]) == (2, 7.5, 215.0, 33.33)  # (10+5)/2
    assert (li["satisfaction"], li["fcr"]) == (4.5, 50.0)  # (5 + 4) / 2; c8 yes, c1 no


def test_hourly_rows_cover_every_hour_of_the_local_day() -> None:
    rows = kpi_rows(_data(), KpiQuery(DAY_START, DAY_END, "hour"), SETTINGS)
    assert len(rows) == 24
    assert rows[0]["interval_start"] == "2026-11-30T00:00:00+08:00"
    assert rows[0]["interval_end"] == "2026-11-30T01:00:00+08:00"
    assert rows[0]["offered"] == 0 and rows[0]["asa"] is None and rows[0]["occupancy"] is None
    nine, ten = rows[9], rows[10]
    # 09:00-10:00: c1 c2 c4 (c3 short); agents 1 and 2 working
    assert {k: nine[k] for k in ("offered", "answered", "abandoned", "short_abandoned")} == {
        "offered": 3, "answered": 2, "abandoned": 1, "short_abandoned": 1,
    }  # fmt: skip
    assert (nine["asa"], nine["avg_wait"], nine["max_wait"], nine["aht"]) == (20.0, 26.67, 40.0, 275.0)
    assert nine["service_level"] == 33.33  # c1 within T; c4 gave up after T: 1 / (2 + 1)
    # agent 1: busy 1200 of 1800 + 1200 (paused 09:50-10:00 left out); agent 2: busy 2100 of 900 + 2100
    assert nine["occupancy"] == 55.0  # 3300 / 6000
    assert (nine["fcr"], nine["satisfaction"]) == (0.0, 4.0)
    # 10:00-11:00: c5 c6 c7; agent 1 paused until 10:20 then ready 600; agent 2 ringing 300 + ready
    # 1500; agent 3 ready 2400 + on call 1200
    assert (ten["offered"], ten["answered"], ten["abandoned"], ten["timed_out"]) == (3, 1, 1, 1)
    assert (ten["avg_wait"], ten["service_level"]) == (39.33, 50.0)  # 118 / 3; 1 / (1 + c7)
    assert ten["occupancy"] == 20.0  # 1200 / (600 + 1800 + 3600)
    thirteen = rows[13]
    assert (thirteen["callbacks_made"], thirteen["callbacks_succeeded"], thirteen["offered"]) == (2, 1, 0)


def test_hour_by_queue_lists_only_what_happened() -> None:
    rows = kpi_rows(_data(), KpiQuery(DAY_START, DAY_END, "hour", ("queue",)), SETTINGS)
    got = [(r["interval_start"][11:16], r["queue"]) for r in rows]
    assert got == [
        ("09:00", "support"), ("10:00", "sales"), ("10:00", "support"), ("11:00", "support"),
        ("12:00", "support"), ("13:00", "support"), ("15:00", "sales"),
    ]  # fmt: skip


def test_agent_performance() -> None:
    query = KpiQuery(DAY_START, DAY_END)
    rows = {r["agent_id"]: r for r in agent_rows(_data(), query, [1, 2, 3])}
    assert [r["agent_name"] for r in agent_rows(_data(), query, [1, 2, 3])] == ["Tom", "Wu", "李娜"]
    assert rows[1] == {
        "agent_id": 1, "agent_name": "李娜", "team": "A",
        "calls": 2, "inbound_calls": 2, "outbound_calls": 0,  # c1 c8 (c13 was the day before)
        "talk_seconds": 320.0,  # (300 - 60) + (100 - 20)
        "hold_seconds": 80.0,
        "aht": 215.0,  # ((300 + 30) + (100 + 0)) / 2
        "wrapup_seconds": 300.0,  # 09:45-09:50 from the seat history
        "logged_in_seconds": 5400.0,  # 1800 + 600 + 300 + 300 + 1800 + 600 (logged out left out)
        "ready_seconds": 2400.0,  # 1800 + 600
        "pause_seconds": 1800.0,
        "pause_by_reason": {"lunch": 1800.0},
        "occupancy": 33.33,  # 1200 / 3600
        "satisfaction": 4.5, "surveys": 2,
        "callbacks_made": 1, "callbacks_succeeded": 1,
    }  # fmt: skip
    tom = rows[2]
    assert (tom["calls"], tom["inbound_calls"], tom["outbound_calls"]) == (2, 1, 1)  # c2 and c9
    assert (tom["talk_seconds"], tom["aht"]) == (260.0, 140.0)  # 200 + 60; (220 + 60) / 2
    assert (tom["logged_in_seconds"], tom["ready_seconds"], tom["pause_by_reason"]) == (
        5400.0, 2700.0, {"break": 600.0},  # 900+1800+300+600+300+1500; 900 + 300 ringing + 1500
    )  # fmt: skip
    assert (tom["occupancy"], tom["callbacks_made"], tom["callbacks_succeeded"]) == (43.75, 1, 0)
    wu = rows[3]
    assert (wu["calls"], wu["aht"], wu["pause_seconds"], wu["pause_by_reason"]) == (2, 162.5, 0.0, {})
    assert (wu["satisfaction"], wu["surveys"], wu["occupancy"]) == (None, 0, 33.33)
