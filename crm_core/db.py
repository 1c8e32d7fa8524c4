"""Database engines: one writer, many readers.

SQLite is the embedded default and must hold up under a writer-heavy async
service: WAL (readers never block the writer), foreign keys on, a busy timeout
instead of instant "database is locked", and write transactions that start with
BEGIN IMMEDIATE so a read-modify-write can never lose an update to another
writer. The writer engine has a single connection (SQLite has one writer
anyway; queueing in the pool is cheaper than SQLITE_BUSY retries). PostgreSQL
uses the same code with ordinary pools.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


class Database:
    """Owns the engines; hands out short read or write sessions."""

    def __init__(self, url: str, busy_timeout_ms: int = 5000, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.busy_timeout_ms = busy_timeout_ms
        if self.is_sqlite:
            self.writer = self._sqlite_engine(immediate=True, pool_size=1)
            self.reader = self._sqlite_engine(immediate=False, pool_size=pool_size)
        else:
            self.writer = create_async_engine(url, pool_size=pool_size, pool_pre_ping=True)
            self.reader = self.writer
        self._write_sessions = async_sessionmaker(self.writer, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)

    def _sqlite_engine(self, immediate: bool, pool_size: int) -> AsyncEngine:
        engine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=0,
            connect_args={"timeout": self.busy_timeout_ms / 1000},
        )
        busy = self.busy_timeout_ms

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take transaction control from the driver so BEGIN is ours to issue.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy)}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed on success, rolled back on error. Keep it short."""
        async with self._write_sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only session on the reader pool."""
        async with self._read_sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
