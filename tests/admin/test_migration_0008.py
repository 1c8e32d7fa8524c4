"""Migration 0008 on SQLite and PostgreSQL: campaign tables come and go without touching other data."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect, text

from crm_core.db import Database
from crm_core.migrate import alembic_config, current_revision, head_revision, upgrade

CAMPAIGN_TABLES = {"campaigns", "campaign_entries", "campaign_attempts"}


async def _alembic(db: Database, verb: str, revision: str) -> None:
    def run(sync_conn: Any) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        getattr(command, verb)(cfg, revision)

    async with db.writer.begin() as conn:
        await conn.run_sync(run)


async def _tables(db: Database) -> set[str]:
    async with db.reader.connect() as conn:
        return await conn.run_sync(lambda c: set(inspect(c).get_table_names()))


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
    await _alembic(db, "downgrade", "0007")
    assert await current_revision(db) == "0007"
    assert not CAMPAIGN_TABLES & await _tables(db)

    await upgrade(db)

    assert await current_revision(db) == head_revision()
    assert await _tables(db) >= CAMPAIGN_TABLES
    async with db.read() as s:
        assert (await s.execute(text("SELECT count(*) FROM do_not_call"))).scalar() == 1
