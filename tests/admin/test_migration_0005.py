"""Migration 0005 on SQLite and PostgreSQL: teams named on users become rows; it goes down cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from crm_core.db import Database
from crm_core.migrate import current_revision, head_revision, upgrade
from tests.migration_steps import alembic_step, table_names

ADMIN_TABLES = ("teams", "skills", "user_skills", "queue_memberships", "dispositions", "pause_reasons")


async def test_given_users_with_teams_at_0004_when_upgraded_then_each_team_is_a_row(db: Database) -> None:
    await alembic_step(db, "downgrade", "0004")
    assert not set(ADMIN_TABLES) & await table_names(db)
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
    await alembic_step(db, "downgrade", "0004")
    assert await current_revision(db) == "0004"
    assert not set(ADMIN_TABLES) & await table_names(db)
    await upgrade(db)
    assert set(ADMIN_TABLES) <= await table_names(db)
