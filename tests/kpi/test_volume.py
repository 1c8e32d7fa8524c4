"""A busy day's report reads the right volume: every agent, every call, and a report too large to
read refused naming the interval. How fast it is, is measured by bench/kpi_report.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm_core.db import Database
from crm_core.domain_errors import Invalid
from crm_core.kpi.report import KpiQuery
from crm_core.kpi.service import KpiReports
from crm_core.kpi.settings import KpiSettings
from tests.kpi.volume import AGENTS, DAY, Viewer, fill

CALLS = 5_000


async def test_a_busy_days_reports_cover_every_agent_and_call(db: Database) -> None:
    _agents, _sup = await fill(db, CALLS)
    reports = KpiReports(db, KpiSettings(timezone="Asia/Shanghai"))
    day = KpiQuery(DAY, DAY + timedelta(days=1))
    admin = Viewer(0, "admin")
    assert len(await reports.agents(admin, day)) == AGENTS
    report = await reports.kpi(admin, day)
    total = report.total  # every call of the day once: offered, or a short abandon counted apart
    assert total["offered"] + total["short_abandoned"] == CALLS
    assert total["answered"] + total["abandoned"] == total["offered"]
    # 96 quarter hours x 300 agents is more rows than anyone reads: refused, naming the interval
    with pytest.raises(Invalid) as refused:
        await reports.kpi(admin, KpiQuery(DAY, DAY + timedelta(days=1), "15m", ("agent",)))
    assert refused.value.field == "interval"
