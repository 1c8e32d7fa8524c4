"""Migration 0005 on SQLite and PostgreSQL: teams named on users become rows; it goes down cleanly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic import command
from sqlalchemy import text

from crm_core.db import Database
from crm_core.migrate import alembic_config, current_revision, head_revision, upgrade

ADMIN_TABLES = ("teams", "skills", "user_skills", "queue_memberships", "dispositions", "pause_reasons")


async def _alembic(db: Database, verb: str, revision: str) -> None:
    def run(sync_conn: Any) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        getattr(command, verb)(cfg, revision)

    async with db.writer.begin() as conn:
        await conn.run_sync(run)


async def _tables(db: Database) -> set[str]:
    def names(sync_conn: Any) -> set[str]:
        from sqlalchemy import inspect

        return set(inspect(sync_conn).get_table_names())

    async with db.reader.connect() as conn:
        return await conn.run_sync(names)


async def test_given_users_with_teams_at_0004_when_upgraded_then_each_team_is_a_row(db: Database) -> None:
    await _alembic(db, "downgrade", "0004")
    assert not set(ADMIN_TABLES) & await _tables(db)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with db.write() as s:
        for login, team in (("a", "north"), ("b", "north"), ("c", "south"), ("d", None)):
            await s.execute(
                text(
                    "INSERT INTO users (login, password_hash, role, display_name, language, team, active, "
                    "created_at) VALUES (:l, 'x', 'agent', :l, 'en', :t, true, :n)"
                ),
                {"l": login, "t": team, "n": now},
            )

    await upgrade(db)

    assert await current_revision(db) == head_revision()
    async with db.read() as s:
        rows = (await s.execute(text("SELECT name, label FROM teams ORDER BY name"))).all()
    assert [tuple(r) for r in rows] == [("north", "north"), ("south", "south")]


async def test_downgrade_to_0004_drops_the_admin_tables_and_upgrade_restores_them(db: Database) -> None:
    await _alembic(db, "downgrade", "0004")
    assert await current_revision(db) == "0004"
    assert not set(ADMIN_TABLES) & await _tables(db)
    await upgrade(db)
    assert set(ADMIN_TABLES) <= await _tables(db)
