"""How long a busy day's KPI reports take: 50,000 call records, 300 agents' seat history, callback attempts.

Why it matters: supervisors open the day's report while the center runs; it must come back in
well under a second on the embedded SQLite and on PostgreSQL. Run:
`.venv/bin/python bench/kpi_report.py [calls]` (PostgreSQL: a database of its own, created through
CRM_TEST_PG_DSN or postgresql://postgres@127.0.0.1:5432/test and dropped at the end; skipped with a
line when unreachable). Prints the setup, then the best of two runs of each report.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.engines import on_each_engine
from crm_core.db import Database
from crm_core.kpi.report import KpiQuery
from crm_core.kpi.service import KpiReports
from crm_core.kpi.settings import KpiSettings
from crm_core.migrate import upgrade
from tests.kpi.volume import AGENTS, DAY, Viewer, fill


async def _best_of_two(report: Callable[[], Awaitable[object]]) -> float:
    """Seconds of the faster of two runs: the machine is shared, a stray pause is not the code's."""
    best = float("inf")
    for _ in range(2):
        began = time.perf_counter()
        await report()
        best = min(best, time.perf_counter() - began)
    return best


async def _measure(name: str, db: Database, calls: int) -> None:
    from datetime import timedelta

    await upgrade(db)
    began = time.perf_counter()
    _agents, sup = await fill(db, calls)
    print(f"{name}: filled {calls} calls, {AGENTS} agents in {time.perf_counter() - began:.1f} s")
    reports = KpiReports(db, KpiSettings(timezone="Asia/Shanghai"))
    day = (DAY, DAY + timedelta(days=1))
    admin, supervisor = Viewer(0, "admin"), Viewer(sup, "supervisor")  # team T3: 30 agents
    for label, viewer, query in (
        ("admin, whole day", admin, KpiQuery(*day)),
        ("admin, hour x queue", admin, KpiQuery(*day, "hour", ("queue",))),
        ("admin, hour x agent", admin, KpiQuery(*day, "hour", ("agent",))),
        ("supervisor (30 agents), hour", supervisor, KpiQuery(*day, "hour")),
    ):
        seconds = await _best_of_two(lambda: reports.kpi(viewer, query))  # noqa: B023
        print(f"  {label:<30} {seconds * 1000:8.1f} ms")
    seconds = await _best_of_two(lambda: reports.agents(admin, KpiQuery(*day)))
    print(f"  {'admin, agents report':<30} {seconds * 1000:8.1f} ms")


async def main(calls: int) -> None:
    print(f"setup: python {platform.python_version()}, {os.cpu_count()} CPU(s), {calls} calls over one day")
    await on_each_engine("kpi", lambda engine, db: _measure(engine, db, calls))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000))
