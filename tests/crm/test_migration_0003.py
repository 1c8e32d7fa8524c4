"""Migration 0003 goes down and up again cleanly on both databases, keeping existing customers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from crm_core.db import Database
from crm_core.migrate import current_revision, head_revision, upgrade
from tests.migration_steps import alembic_step


async def test_downgrade_to_0002_and_upgrade_again_keeps_customers(db: Database) -> None:
    await alembic_step(db, "downgrade", "0002")
    assert await current_revision(db) == "0002"
    async with db.write() as s:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        await s.execute(
            text(
                "INSERT INTO customers (kind, name, created_at, updated_at) VALUES ('person', 'Old', :t, :t)"
            ),
            {"t": now},
        )
    await upgrade(db)
    assert await current_revision(db) == head_revision()
    async with db.read() as s:
        row = (await s.execute(text("SELECT name, timezone, region FROM customers"))).one()
    assert tuple(row) == ("Old", "Asia/Shanghai", "")
