"""The database layer: migrations, SQLite configured for a writer-heavy service, no lost updates."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from crm_core.db import Database
from crm_core.migrate import current_revision, head_revision, upgrade


async def test_given_empty_database_when_migrated_then_at_head_and_rerun_is_harmless(db: Database) -> None:
    assert await current_revision(db) == head_revision()
    await upgrade(db)
    assert await current_revision(db) == head_revision()


async def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(sqlite_db: Database) -> None:
    async with sqlite_db.read() as s:
        assert (await s.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await s.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await s.execute(text("PRAGMA busy_timeout"))).scalar() == 5000


async def test_given_many_concurrent_read_modify_writes_then_no_update_is_lost(db: Database) -> None:
    """On PostgreSQL this needs the row lock; on SQLite the single writer connection serialises
    writers in one process (the two-engine test below is the one that needs BEGIN IMMEDIATE)."""
    async with db.write() as s:
        await s.execute(text("CREATE TABLE counter_probe (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
        await s.execute(text("INSERT INTO counter_probe (id, value) VALUES (1, 0)"))
    lock = " FOR UPDATE" if not db.is_sqlite else ""

    async def bump() -> None:
        async with db.write() as s:
            value = (await s.execute(text(f"SELECT value FROM counter_probe WHERE id = 1{lock}"))).scalar()
            await asyncio.sleep(0.001)  # let every other writer run between our read and our write
            await s.execute(text("UPDATE counter_probe SET value = :v WHERE id = 1"), {"v": value + 1})

    await asyncio.wait_for(asyncio.gather(*(bump() for _ in range(60))), timeout=60)
    async with db.read() as s:
        assert (await s.execute(text("SELECT value FROM counter_probe WHERE id = 1"))).scalar() == 60


async def test_given_two_engines_on_one_sqlite_file_then_writers_wait_instead_of_failing(tmp_path) -> None:
    """Two service processes (here: two Database objects) share one file: BEGIN IMMEDIATE + busy timeout."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    first, second = Database(url), Database(url)
    try:
        await upgrade(first)
        async with first.write() as s:
            await s.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
            await s.execute(text("INSERT INTO probe VALUES (1, 0)"))

        async def bump(database: Database) -> None:
            async with database.write() as s:
                value = (await s.execute(text("SELECT value FROM probe WHERE id = 1"))).scalar()
                await asyncio.sleep(0.002)
                await s.execute(text("UPDATE probe SET value = :v WHERE id = 1"), {"v": value + 1})

        jobs = [bump(first if i % 2 else second) for i in range(40)]
        await asyncio.wait_for(asyncio.gather(*jobs), timeout=60)
        async with first.read() as s:
            assert (await s.execute(text("SELECT value FROM probe"))).scalar() == 40
    finally:
        await first.dispose()
        await second.dispose()


async def test_migrations_create_exactly_the_schema_the_models_describe(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from crm_core.models import Base

    def diff(sync_conn) -> list:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with db.reader.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
