"""The CSV export of the filtered call list: what Excel needs (UTF-8 with BOM, local times),
exactly the calls of the filter and of the viewer, and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

from crm_core.call_history import CallHistory, parse_filter
from crm_core.domain_errors import SYSTEM, Invalid
from tests.history.conftest import ADMIN, CALLS, CUSTOMER_A, FORMULA, SUP_B, Day


async def export(
    day: Day, role: str, path: str = "/api/v1/calls.csv", **params: str
) -> tuple[str, list[list[str]]]:
    async with day.http(role).get(day.url(path), params=params) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert resp.headers["Content-Disposition"].startswith('attachment; filename="calls-')
        assert resp.headers["Cache-Control"] == "no-store"
        raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
    body = raw.decode("utf-8")[1:]
    return body, list(csv.reader(io.StringIO(body)))


async def test_the_export_holds_every_call_of_the_filter_in_local_time(day: Day) -> None:
    _body, rows = await export(day, ADMIN, number="13800000001", lang="en")
    header, lines = rows[0], rows[1:]
    assert header[:4] == ["Started", "Direction", "Number", "Caller name"]
    assert [line[-1] for line in lines] == ["a_outbound", "a_abandoned", "a_support"]  # newest first
    support = dict(zip(header, lines[2], strict=True))
    assert support["Started"] == "2026-11-30 09:00:00"  # Shanghai time, as the call center reads it
    assert support["Customer"] == CUSTOMER_A and support["Number"] == "138 0000 0001"
    assert (
        support["Talk (s)"] == "120" and support["Outcome"] == "Answered" and support["Recording"] == "stored"
    )


async def test_the_export_speaks_the_users_language_and_matches_the_json_total(day: Day) -> None:
    _body, rows = await export(day, ADMIN, **{"from": "2026-11-30", "to": "2026-11-30"})
    assert rows[0][0] == "开始时间"
    _status, listed = await day.get(ADMIN, "/api/v1/calls", **{"from": "2026-11-30", "to": "2026-11-30"})
    assert len(rows) - 1 == listed["total"] == len(CALLS) - 1
    same, _rows = await export(
        day, ADMIN, "/api/v1/calls", format="csv", **{"from": "2026-11-30", "to": "2026-11-30"}
    )
    assert same == _body


async def test_a_hostile_caller_name_is_not_a_formula_but_a_number_stays_a_number(day: Day) -> None:
    body, rows = await export(day, ADMIN, queue="sales", lang="en")
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["Caller name"] == "'" + FORMULA
    assert line["Number"] == "138 0000 0002"
    assert "\r\n" in body  # Excel's line ends


async def test_another_teams_supervisor_exports_none_of_team_as_calls(day: Day) -> None:
    _body, rows = await export(day, SUP_B, lang="en")
    assert sorted(line[-1] for line in rows[1:]) == ["a_missed", "b_outbound", "b_support"]
    _body, rows = await export(day, SUP_B, customer="张三")
    assert rows[1:] == []


async def test_an_export_too_large_to_be_meant_is_refused_naming_the_range(day: Day) -> None:
    history = CallHistory(day.stack.service.db, max_export=3)
    with pytest.raises(Invalid) as refused:
        await history.export(SYSTEM, parse_filter({}, "Asia/Shanghai", "CN"))
    assert refused.value.field == "from"
    batches = await history.export(SYSTEM, parse_filter({"direction": "outbound"}, "Asia/Shanghai", "CN"))
    assert [[r.call_id for r in batch] async for batch in batches] == [["b_outbound", "a_outbound"]]


async def test_a_number_search_uses_the_number_index(day: Day) -> None:
    """Fast at any size: the exact, normalised number is looked up in its index, not scanned.
    (PostgreSQL is told to avoid a scan, as it would on a big table: a few rows are cheaper read whole.)"""
    from sqlalchemy.dialects import postgresql, sqlite

    from crm_core.call_history.service import _listing, conditions

    db = day.stack.service.db
    f = parse_filter({"number": "13800000001"}, "Asia/Shanghai", "CN")
    query = _listing().where(*conditions(SYSTEM, f))
    dialect = sqlite.dialect() if db.is_sqlite else postgresql.dialect()
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    async with db.read() as s:
        if not db.is_sqlite:
            await s.execute(text("SET LOCAL enable_seqscan = off"))
        explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
        plan = " ".join(str(row[-1]) for row in await s.execute(text(explain + sql)))
    assert "ix_call_records_caller_number" in plan, plan


async def test_the_export_reads_in_batches_that_join_without_gap_or_repeat(day: Day) -> None:
    history = CallHistory(day.stack.service.db, batch=2)
    batches = await history.export(SYSTEM, parse_filter({}, "Asia/Shanghai", "CN"))
    sizes, names = [], []
    async for batch in batches:
        sizes.append(len(batch))
        names += [r.call_id for r in batch]
    assert sizes == [2, 2, 2, 2, 1]
    assert names == [c.name for c in sorted(CALLS, key=lambda c: c.at, reverse=True)]
