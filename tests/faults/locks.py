"""Holding the database's write lock from another connection, the way a stuck job or a long
migration would: SQLite `BEGIN EXCLUSIVE` (readers still read under WAL), PostgreSQL
`LOCK TABLE ... IN EXCLUSIVE MODE` (blocks writers of that table, not its readers)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import make_url


@asynccontextmanager
async def write_lock(db_url: str, table: str) -> AsyncIterator[None]:
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        async with _sqlite_lock(str(url.database)):
            yield
        return
    async with _pg_lock(url.set(drivername="postgresql").render_as_string(hide_password=False), table):
        yield


@asynccontextmanager
async def _sqlite_lock(path: str) -> AsyncIterator[None]:
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    try:
        await asyncio.to_thread(conn.execute, "BEGIN EXCLUSIVE")  # waits out a writer mid-transaction
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


@asynccontextmanager
async def _pg_lock(dsn: str, table: str) -> AsyncIterator[None]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            yield
        finally:
            await tx.rollback()
    finally:
        await conn.close()
