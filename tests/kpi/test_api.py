"""/api/v1/reports over real sockets, on SQLite and PostgreSQL: the synthetic day's figures with
their definitions and settings, team scoping, refusals, bad parameters named, CSV for Excel."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from crm_core.kpi.figures import FIGURES
from tests.e2e.conftest import PASSWORD
from tests.kpi.store import Stored, name_agents, write_day
from tests.kpi.test_synthetic_day import DAY_TOTAL
from tests.security.conftest import ADMIN, AGENT_A, AGENT_B, SUP_A, SUP_B, Stack
from tests.security.conftest import stack_each_db as stack_each_db  # the fixture, re-exported

K = "/api/v1/reports/kpi"
A = "/api/v1/reports/agents"
DAY = {"from": "2026-11-30", "to": "2026-11-30"}


@pytest.fixture
async def day(stack_each_db: Stack) -> tuple[Stack, Stored]:
    stack = stack_each_db
    tom = (await stack.service.users.create("tom", PASSWORD, "Tom", role="agent")).id
    agents = {1: stack.ids[AGENT_A], 2: tom, 3: stack.ids[AGENT_B]}
    await name_agents(stack.service.db, agents)
    return stack, await write_day(stack.service.db, agents)


async def _get(stack: Stack, role: str, path: str, **params: Any) -> tuple[int, Any, str]:
    async with stack.clients[role].get(stack.base + path, params=params) as resp:
        raw = await resp.read()
        kind = resp.headers.get("Content-Type", "")
        body = await resp.json() if kind.startswith("application/json") else raw.decode("utf-8")
        return resp.status, body, kind


async def test_the_day_with_its_definitions_and_settings(day: tuple[Stack, Stored]) -> None:
    stack, _stored = day
    status, body, _ = await _get(stack, ADMIN, K, lang="en", **DAY)
    assert status == 200, body
    assert body["total"] == DAY_TOTAL and body["rows"] == [DAY_TOTAL]
    assert body["settings"] == {
        "timezone": "Asia/Shanghai", "service_level_seconds": 20.0, "short_abandon_seconds": 5.0,
        "short_abandons_counted": False, "service_level_abandons": "after_t", "fcr_days": 7,
    }  # fmt: skip
    assert body["query"]["from"] == "2026-11-30T00:00:00+08:00"
    assert body["query"]["to"] == "2026-12-01T00:00:00+08:00"
    assert set(body["definitions"]) == set(FIGURES) == set(body["definition_texts"]) == set(body["labels"])
    assert body["definitions"]["service_level"] == "kpi.def.service_level"
    sl = body["definition_texts"]["service_level"]
    assert "within 20 s" in sl and "more than 20 s" in sl and "{" not in sl
    assert "5 s" in body["definition_texts"]["offered"]
    assert body["figure_settings"]["fcr"] == ["fcr_days"]
    assert "7 days" in body["definition_texts"]["fcr"]
    status, zh, _ = await _get(stack, ADMIN, K, lang="zh-CN", **DAY)
    assert "20 秒" in zh["definition_texts"]["service_level"] and zh["labels"]["offered"] == "呼入量"


async def test_hourly_rows_in_local_time(day: tuple[Stack, Stored]) -> None:
    stack, _stored = day
    status, body, _ = await _get(stack, SUP_A, K, interval="hour", **DAY)
    assert status == 200
    assert len(body["rows"]) == 24
    nine = body["rows"][9]
    assert nine["interval_start"] == "2026-11-30T09:00:00+08:00"
    # team A's 09:00-10:00: c1 c2 answered, c4 rang agent 1 and gave up after 40 s, c3 short
    assert (nine["offered"], nine["answered"], nine["abandoned"], nine["short_abandoned"]) == (3, 2, 1, 1)


async def test_supervisor_b_gets_none_of_team_a(day: tuple[Stack, Stored]) -> None:
    stack, stored = day
    team_a = {stored.agents[1], stored.agents[2]}
    status, body, _ = await _get(stack, SUP_B, K, by="agent", **DAY)
    assert status == 200
    assert [r["agent_id"] for r in body["rows"]] == [stored.agents[3], None]
    assert body["total"]["answered"] == 2  # c5 c11, team B's
    status, body, _ = await _get(stack, SUP_B, A, **DAY)
    assert status == 200 and [r["agent_name"] for r in body["rows"]] == ["Wu"]
    assert not team_a & {r["agent_id"] for r in body["rows"]}
    for path, params in ((K, {"agent_id": str(stored.agents[1])}), (A, {"team": "A"})):
        status, body, _ = await _get(stack, SUP_B, path, **params, **DAY)
        assert (status, body["error"]) == (404, "error.not_found")
    status, body, _ = await _get(stack, SUP_A, K, by="team", **DAY)
    assert [r["team"] for r in body["rows"]] == ["A", None]  # c4 c7 rang team A or wait in its queue


async def test_agents_are_refused(day: tuple[Stack, Stored]) -> None:
    stack, _stored = day
    for role in (AGENT_A, AGENT_B):
        for path in (K, K + ".csv", A, A + ".csv"):
            status, body, _ = await _get(stack, role, path, **DAY)
            assert status == 403 and "offered" not in str(body)


BAD = [
    ({"interval": "week"}, "interval"),
    ({"by": "customer"}, "by"),
    ({"by": "queue,queue"}, "by"),
    ({"by": "queue,agent,team"}, "by"),
    ({"from": "yesterday"}, "from"),
    ({"from": "2026-11-31"}, "from"),
    ({"from": "1850-01-01"}, "from"),
    ({"to": "2026-11-29"}, "to"),  # before from
    ({"to": "2027-03-30"}, "to"),  # more than 93 days
    ({"interval": "15m", "to": "2026-12-10"}, "to"),  # 15-minute rows: a week at most
    ({"agent_id": "abc"}, "agent_id"),
    ({"agent_id": "0"}, "agent_id"),
    ({"queue": "q" * 65}, "queue"),
    ({"format": "xml"}, "format"),
    ({"intervall": "hour"}, "intervall"),  # a typo is not silently ignored
]


async def test_bad_parameters_are_named(day: tuple[Stack, Stored]) -> None:
    stack, _stored = day
    for path in (K, A + ".csv"):
        for params, field in BAD:
            if path.startswith(A) and ("interval" in params or "by" in params):
                continue  # the agents report has no grouping: those are unknown parameters there
            status, body, _ = await _get(stack, SUP_A, path, **({"from": "2026-11-30"} | params))
            assert (status, body["error"], body["field"]) == (400, "error.bad_request", field), (path, body)
    status, body, _ = await _get(stack, SUP_A, A, interval="hour", **DAY)
    assert (status, body["field"]) == (400, "interval")  # no grouping in the agents report


def _csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # the byte-order mark Excel needs for UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


async def test_kpi_csv_for_excel(day: tuple[Stack, Stored]) -> None:
    stack, _stored = day
    async with stack.clients[ADMIN].get(stack.base + K + ".csv", params={"by": "queue", **DAY}) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert resp.headers["Content-Disposition"] == 'attachment; filename="kpi-2026-11-30.csv"'
        assert (await resp.read()).startswith(b"\xef\xbb\xbf")
        rows = _csv((await resp.read()).decode("utf-8"))
    assert rows[0][:4] == ["队列", "呼入量", "接通量", "放弃量"]
    assert [r[0] for r in rows[1:]] == ["sales", "support"]
    support = dict(zip(rows[0], rows[2], strict=True))
    assert (support["呼入量"], support["平均处理时长（秒）"], support["占用率（%）"]) == ("6", "211.25", "")
    _status, same, kind = await _get(stack, ADMIN, K, format="csv", by="queue", **DAY)
    assert kind.startswith("text/csv") and _csv(same) == rows
    _status, english, _ = await _get(stack, ADMIN, K + ".csv", interval="hour", lang="en", **DAY)
    table = _csv(english)
    assert table[0][:3] == ["Interval start", "Interval end", "Offered"] and len(table) == 25


async def test_agents_report_and_its_csv(day: tuple[Stack, Stored]) -> None:
    stack, stored = day
    status, body, _ = await _get(stack, SUP_A, A, lang="en", **DAY)
    assert status == 200
    assert [r["agent_name"] for r in body["rows"]] == ["Tom", "李娜"]
    li = body["rows"][1]
    assert (li["calls"], li["talk_seconds"], li["pause_by_reason"], li["satisfaction"]) == (
        2, 320.0, {"lunch": 1800.0}, 4.5,
    )  # fmt: skip
    assert "wrap-up" in body["definition_texts"]["wrapup_seconds"]
    status, text, _ = await _get(stack, SUP_A, A + ".csv", lang="zh-CN", **DAY)
    rows = _csv(text)
    assert rows[0][:3] == ["坐席编号", "坐席", "班组"] and rows[0][-2:] == [
        "小休：break（秒）",
        "小休：lunch（秒）",
    ]
    li_row = next(r for r in rows if r[1] == "李娜")
    assert li_row[0] == str(stored.agents[1]) and li_row[-2:] == ["", "1800"]
