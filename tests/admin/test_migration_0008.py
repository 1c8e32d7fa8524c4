"""Migration 0008 on SQLite and PostgreSQL: campaign tables come and go without touching other data."""

from __future__ import annotations

from sqlalchemy import text

from crm_core.db import Database
from crm_core.migrate import current_revision, head_revision, upgrade
from tests.migration_steps import alembic_step, table_names

CAMPAIGN_TABLES = {"campaigns", "campaign_entries", "campaign_attempts"}


async def test_downgrade_to_0007_drops_only_the_campaign_tables_and_upgrade_restores_them(
    db: Database,
) -> None:
    async with db.write() as s:
        await s.execute(
            text(
                "INSERT INTO do_not_call (e164, reason, created_at) VALUES ('+8613800000000', "
                "'asked', CURRENT_TIMESTAMP)"
            )
        )
    await alembic_step(db, "downgrade", "0007")
    assert await current_revision(db) == "0007"
    assert not CAMPAIGN_TABLES & await table_names(db)

    await upgrade(db)

    assert await current_revision(db) == head_revision()
    assert await table_names(db) >= CAMPAIGN_TABLES
    async with db.read() as s:
        assert (await s.execute(text("SELECT count(*) FROM do_not_call"))).scalar() == 1
