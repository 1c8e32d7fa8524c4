"""Each database engine in turn, for the benches that measure both: SQLite in a temporary file,
then PostgreSQL in a database of its own, created for the run and dropped after it (skipped, and
said so, when the server cannot be reached)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable

import asyncpg

from crm_core.db import Database

PG = os.environ.get("CRM_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
Measure = Callable[[str, Database], Awaitable[None]]  # (engine label, empty database)


async def on_each_engine(tag: str, measure: Measure) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/{tag}.sqlite3")
        try:
            await measure("SQLite", db)
        finally:
            await db.dispose()
    try:
        admin = await asyncpg.connect(PG)
    except OSError as exc:
        print(f"PostgreSQL: skipped, unreachable ({exc})")
        return
    name = f"crm_bench_{tag}_{os.getpid()}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(PG.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}")
    try:
        await measure("PostgreSQL", db)
    finally:
        await db.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
