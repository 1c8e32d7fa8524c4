"""Dispositions and pause reasons: seeded from config while empty, then the administrators' own;
the wrap-up check takes the active dispositions from the database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent_ui.admin.labels import seed_label
from callcenter.service import Service
from callcenter.settings import (
    CrmSettings,
    DatabaseSettings,
    DemoSettings,
    RecordingsSettings,
    ServerSettings,
    Settings,
)
from crm_core.admin.codes import dispositions
from crm_core.admin.services import AdminServices
from crm_core.calls import CallRecordService, DispositionError
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM
from crm_core.models import CallRecord
from crm_core.sessions import SessionService
from crm_core.users import UserService


def _settings(tmp_path: Path, **crm: list[str]) -> Settings:
    return Settings(
        server=ServerSettings(port=0),
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'crm.sqlite3'}"),
        demo=DemoSettings(enabled="no"),
        crm=replace(CrmSettings(), **crm),
        recordings=RecordingsSettings(spool_dir=str(tmp_path / "spool"), store_dir=str(tmp_path / "store")),
    )


async def _started(settings: Settings) -> Service:
    service = Service(settings)
    await service.start()
    return service


async def test_start_up_seeds_both_lists_from_config_once_and_keeps_later_changes(tmp_path: Path) -> None:
    service = await _started(_settings(tmp_path, pause_reasons=["break", "toilet"]))
    try:
        admin = AdminServices.build(service.users, service.sessions, {})
        codes = [(c.code, c.label_zh, c.label_en, c.sort_order) for c in await admin.dispositions.list()]
        assert codes[0] == ("resolved", "已解决", "Resolved", 10) and len(codes) == 6
        reasons = await admin.pause_reasons.labels("zh-CN")
        assert reasons == [{"code": "break", "label": "休息"}, {"code": "toilet", "label": "toilet"}]
        toilet = (await admin.pause_reasons.list())[1]
        await admin.pause_reasons.update(SYSTEM, toilet.id, {"label_zh": "洗手间", "label_en": "Restroom"})
    finally:
        await service.stop()

    service = await _started(_settings(tmp_path, dispositions=["other"], pause_reasons=["lunch"]))
    try:
        admin = AdminServices.build(service.users, service.sessions, {})
        assert len(await admin.dispositions.list()) == 6  # the config is a seed, not a source of truth
        assert await admin.pause_reasons.labels("en") == [
            {"code": "break", "label": "Break"},
            {"code": "toilet", "label": "Restroom"},
        ]
    finally:
        await service.stop()


async def _call(db: Database) -> int:
    async with db.write() as s:
        record = CallRecord(pbx="bj", call_id="c-1", started_at=datetime(2026, 3, 2, tzinfo=UTC))
        s.add(record)
        await s.flush()
        return record.id


async def test_the_disposition_check_uses_the_active_dispositions_of_the_database(db: Database) -> None:
    agent = await UserService(db).create("a1", "pw", "A1")
    calls = CallRecordService(db, "CN", dispositions=("resolved", "sales"))
    record = await _call(db)
    assert (await calls.set_disposition(record, agent.id, "sales")).disposition == "sales"  # not seeded yet

    codes = dispositions(db)
    assert await codes.seed(["resolved", "sales"], lambda code: seed_label(f"disposition.{code}")) == 2
    assert await codes.seed(["other"], lambda code: (code, code)) == 0
    sales = next(c for c in await codes.list() if c.code == "sales")
    await codes.update(SYSTEM, sales.id, {"active": False})
    with pytest.raises(DispositionError) as refused:
        await calls.set_disposition(record, agent.id, "sales")
    assert refused.value.field == "disposition"

    await codes.create(SYSTEM, "sold", label_zh="成交", label_en="Sold")
    assert (await calls.set_disposition(record, agent.id, "sold")).disposition == "sold"
    assert [c["code"] for c in await codes.labels("en")] == ["resolved", "sold"]


async def test_seeding_writes_an_audit_row_per_code(db: Database) -> None:
    users = UserService(db)
    admin = AdminServices.build(users, SessionService(db, timedelta(hours=1), timedelta(hours=8)), {})
    await admin.seed(["resolved"], ["break", "lunch"], seed_label)
    rows, total = await admin.audit.search(entity="pause_reason")
    assert total == 2 and {r.action for r in rows} == {"seed"} and rows[0].user_login is None
