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

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)
T = TypeVar("T")
# PostgreSQL: lock_not_available (lock_timeout passed), deadlock_detected, serialization_failure.
BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001"})
BUSY_SQLITE = ("database is locked", "database table is locked", "database is busy")


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
            # A row or table lock held elsewhere fails after the busy time-out instead of hanging.
            lock = {"server_settings": {"lock_timeout": str(int(busy_timeout_ms))}}
            args = lock if make_url(url).get_driver_name() == "asyncpg" else {}
            self.writer = create_async_engine(url, pool_size=pool_size, pool_pre_ping=True, connect_args=args)
            self.reader = self.writer
        self._write_sessions = async_sessionmaker(self.writer, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)
        # Closed with the engines: pools others keep on this database (the screen pop's card reader).
        self.closers: list[Callable[[], Awaitable[None]]] = []

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
        for close in self.closers:
            await close()
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def is_busy(error: BaseException) -> bool:
    """The database was locked or busy past its time-out: a retry later can succeed (503, not 500)."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    orig = error.orig
    if (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) in BUSY_SQLSTATES:
        return True
    return any(text in str(orig).lower() for text in BUSY_SQLITE)


async def retry_when_busy(
    work: Callable[[], Awaitable[T]], what: str, window: float = 300.0, first_delay: float = 0.05
) -> T:
    """Run work (one whole transaction) again while the database is busy, for up to window seconds.

    The bus writers use it: an event whose transaction met a lock must not be lost, and each
    of them is idempotent, so repeating a rolled-back transaction is safe.
    """
    loop = asyncio.get_running_loop()
    deadline, delay, attempt = loop.time() + window, first_delay, 1
    while True:
        try:
            return await work()
        except exc.SQLAlchemyError as error:
            if not is_busy(error) or loop.time() + delay > deadline:
                raise
            log.warning("database busy, retrying what=%s attempt=%d in=%.2fs", what, attempt, delay)
        await asyncio.sleep(delay)
        delay, attempt = min(delay * 2, 2.0), attempt + 1
