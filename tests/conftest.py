"""Shared fixtures: real databases (SQLite file, PostgreSQL when reachable) migrated by Alembic."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from crm_core.db import Database
from crm_core.migrate import upgrade

PG_ADMIN_DSN = os.environ.get("CRM_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
FIXTURES = Path(__file__).parent / "fixtures"


async def _pg_reachable() -> str | None:
    try:
        import asyncpg

        conn = await asyncio.wait_for(asyncpg.connect(PG_ADMIN_DSN), 3)
        await conn.close()
        return None
    except Exception as exc:  # any failure means "not here"
        return f"PostgreSQL unreachable at {PG_ADMIN_DSN}: {exc!r}"


def need_service(reason: str | None) -> None:
    """Skip with the reason on a laptop without the service; under CI=true its absence fails."""
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"required under CI=true: {reason}")
    pytest.skip(reason)


async def _pg_database() -> tuple[str, str]:
    import asyncpg

    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def _pg_drop(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'crm.sqlite3'}"
        return
    need_service(await _pg_reachable())
    name, url = await _pg_database()
    try:
        yield url
    finally:
        await _pg_drop(name)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database of each kind."""
    database = Database(db_url)
    await upgrade(database)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'crm.sqlite3'}")
    await upgrade(database)
    try:
        yield database
    finally:
        await database.dispose()
