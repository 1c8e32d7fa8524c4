"""The screen pop's read path: everything a customer card needs, in one hop to the database.

A pop-up must be on the agent's screen while the phone rings, for any of a million
customers. Through the ORM over aiosqlite a card costs ~2 ms: every statement crosses
to aiosqlite's worker thread several times (~100 µs a crossing). Here the card's
statements are SQLAlchemy Core, compiled once per dialect to plain SQL, and run:

- on SQLite, all of them on a stdlib sqlite3 connection of the event-loop thread: the
  statements are index searches of a few rows (~0.1 ms together, less than one hop to
  a thread and back, and free of the hop's scheduling delays on a busy machine). WAL
  readers do not wait for the writer; in the rare moment SQLite answers "busy" (a
  checkpoint), that connection gives up at once and the lookup is run on a small
  thread pool instead, which may wait (inline=False sends every lookup there);
- on PostgreSQL, as asyncpg prepared statements on one connection of a small pool of
  the reader's own, one round trip each. That pool skips the pre-ping round trip the
  main pool makes at every checkout; a connection found dead (the server restarted) is
  dropped and the lookup is run again on the main pool, which pings.

Only the unrestricted lookup (the screen pop) comes here; a lookup on behalf of a
user whose view is restricted keeps to the ORM path with its access conditions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from crm_core.callbacks.models import Callback
from crm_core.contacts.models import NumberPick
from crm_core.db import Database
from crm_core.models import CallRecord, Customer, CustomerPhone
from crm_core.tickets.lifecycle import OPEN_STATUSES
from crm_core.tickets.models import ServiceRequest

log = logging.getLogger(__name__)
RECENT_CALLS = 5
OPEN_ITEMS = 10
THREADS = 2  # SQLite lookups run at once; the machine's cores are the useful bound
CONNECTIONS_PER_THREAD = 4  # databases one thread keeps open (tests open many; production one)
Rows = list[tuple[Any, ...]]


def _statements() -> dict[str, Select[Any]]:
    """The card's statements; bind parameters carry placeholder values so they compile."""
    key, cid = bindparam("key", ""), bindparam("cid", 0)
    pick = select(NumberPick.customer_id).where(NumberPick.e164 == key).scalar_subquery()
    return {
        "matches": select(Customer.id, Customer.kind, Customer.name, Customer.company, pick)
        .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
        .where(CustomerPhone.e164 == key, Customer.deleted_at.is_(None))
        .order_by(Customer.id),
        "phones": select(CustomerPhone.e164, CustomerPhone.label)
        .where(CustomerPhone.customer_id == cid)
        .order_by(CustomerPhone.id),
        "calls": select(
            CallRecord.started_at, CallRecord.direction, CallRecord.outcome, CallRecord.queue,
            CallRecord.talk_seconds,
        )
        .where(CallRecord.customer_id == cid)
        .where(~((CallRecord.pbx == bindparam("pbx", "")) & (CallRecord.call_id == bindparam("call_id", ""))))
        .order_by(CallRecord.started_at.desc())
        .limit(RECENT_CALLS),
        "requests": select(
            ServiceRequest.id, ServiceRequest.number, ServiceRequest.type, ServiceRequest.subject,
            ServiceRequest.status, ServiceRequest.priority, ServiceRequest.due_at,
        )
        .where(ServiceRequest.customer_id == cid, ServiceRequest.deleted_at.is_(None))
        .where(ServiceRequest.status.in_(OPEN_STATUSES))
        .order_by(ServiceRequest.id.desc())
        .limit(OPEN_ITEMS),
        "callbacks": select(Callback.id, Callback.number, Callback.status, Callback.next_attempt_at)
        .where(Callback.customer_id == cid, Callback.deleted_at.is_(None))
        .where(Callback.status.in_(("pending", "accepted")))
        .order_by(Callback.next_attempt_at)
        .limit(OPEN_ITEMS),
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement as the driver takes it: SQL text and how to order its arguments."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]

    def args(self, given: dict[str, Any]) -> list[Any]:
        return [given[name] if name in given else self.defaults[name] for name in self.names]


def compile_for(dialect: Dialect) -> dict[str, Compiled]:
    out = {}
    for name, stmt in _statements().items():
        c = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        out[name] = Compiled(str(c), tuple(c.positiontup or ()), dict(c.params))
    return out


@dataclass(frozen=True, slots=True)
class CardRows:
    """What the database said; the card is built from it (crm_core.customers)."""

    matches: Rows  # (id, kind, name, company, picked id), by id
    chosen: int | None
    phones: Rows = ()  # type: ignore[assignment]
    calls: Rows = ()  # type: ignore[assignment]
    requests: Rows = ()  # type: ignore[assignment]
    callbacks: Rows = ()  # type: ignore[assignment]


def chosen_of(matches: Rows) -> int | None:
    """The customer to pop: the one agents last picked for a shared number, else the lowest id."""
    if not matches:
        return None
    ids = [row[0] for row in matches]
    picked = matches[0][4]
    return picked if picked in ids else ids[0]


def utc(value: Any) -> datetime | None:
    """A timestamp as the driver returned it (SQLite: text; PostgreSQL: aware) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CardReader:
    """Reads a card's rows in one hop; None from for_database when the database is not supported."""

    def __init__(self, db: Database, inline: bool = True) -> None:
        self.db = db
        self.inline = inline
        self.sql = compile_for(db.reader.dialect)
        self._sqlite_path = make_url(db.url).database if db.is_sqlite else None
        self._engine: AsyncEngine | None = None
        if not db.is_sqlite:
            self._engine = create_async_engine(db.url, pool_size=2, max_overflow=4)
            db.closers.append(self._engine.dispose)
        elif self._sqlite_path:
            db.closers.append(self._close_sqlite)  # else the file stays open (backups see it in use)

    async def _close_sqlite(self) -> None:
        assert self._sqlite_path is not None
        close_sqlite(self._sqlite_path)

    @classmethod
    def for_database(cls, db: Database) -> CardReader | None:
        url = make_url(db.url)
        if db.is_sqlite and url.database in (None, "", ":memory:"):
            return None  # each in-memory connection is its own database
        if not db.is_sqlite and url.get_driver_name() != "asyncpg":
            return None
        return cls(db)

    async def rows(self, key: str, current_call: tuple[str, str] | None) -> CardRows:
        pbx, call_id = current_call or ("", "")
        path = self._sqlite_path
        if path is not None:
            if self.inline:
                try:
                    return _read_sqlite(path, 0, self.sql, key, pbx, call_id)
                except sqlite3.OperationalError:
                    pass  # busy this instant: wait it out on the pool, off the event loop
            busy = self.db.busy_timeout_ms
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(_pool(), _read_sqlite, path, busy, self.sql, key, pbx, call_id)
        assert self._engine is not None
        try:
            return await self._read_pg(self._engine, key, pbx, call_id)
        except Exception:
            log.warning("card lookup failed on the reader's pool, again on the main pool", exc_info=True)
        return await self._read_pg(self.db.reader, key, pbx, call_id)

    async def _read_pg(self, engine: AsyncEngine, key: str, pbx: str, call_id: str) -> CardRows:
        async with engine.connect() as conn:
            try:
                raw = await conn.get_raw_connection()
                return await _read_asyncpg(raw.driver_connection, self.sql, key, pbx, call_id)
            except Exception:
                await conn.invalidate()  # never hand this connection out again
                raise


def read_card(run: Callable[[str, dict[str, Any]], Rows], key: str, pbx: str, call_id: str) -> CardRows:
    """The card's queries against a synchronous runner (the SQLite path and the benchmark's baseline)."""
    matches = run("matches", {"key": key})
    chosen = chosen_of(matches)
    if chosen is None:
        return CardRows(matches, None)
    given = {"cid": chosen, "pbx": pbx, "call_id": call_id}
    return CardRows(
        matches, chosen, run("phones", given), run("calls", given), run("requests", given),
        run("callbacks", given),
    )  # fmt: skip


async def _read_asyncpg(conn: Any, sql: dict[str, Compiled], key: str, pbx: str, call_id: str) -> CardRows:
    async def run(name: str, given: dict[str, Any]) -> Rows:
        statement = sql[name]
        return [tuple(r) for r in await conn.fetch(statement.sql, *statement.args(given))]

    matches = await run("matches", {"key": key})
    chosen = chosen_of(matches)
    if chosen is None:
        return CardRows(matches, None)
    given = {"cid": chosen, "pbx": pbx, "call_id": call_id}
    return CardRows(
        matches, chosen, await run("phones", given), await run("calls", given),
        await run("requests", given), await run("callbacks", given),
    )  # fmt: skip


# --- SQLite: a few threads, each with its own connections ---------------------------------------

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_local = threading.local()
# Every reader connection per file, whichever thread opened it: close_sqlite() closes them all.
_open: dict[str, set[sqlite3.Connection]] = {}
_open_lock = threading.Lock()


def close_sqlite(path: str) -> None:
    """Close every reader connection to path (the database is being disposed). A thread that
    still caches one finds it gone from _open and opens a new one if it reads again."""
    with _open_lock:
        conns = _open.pop(path, set())
    for conn in conns:
        with contextlib.suppress(sqlite3.Error):
            conn.close()


def _is_open(path: str, conn: sqlite3.Connection) -> bool:
    with _open_lock:
        return conn in _open.get(path, ())


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(THREADS, thread_name_prefix="card-reader")
        return _executor


def _read_sqlite(
    path: str, busy_ms: int, sql: dict[str, Compiled], key: str, pbx: str, call_id: str
) -> CardRows:
    conn = _connection(path, busy_ms)

    def run(name: str, given: dict[str, Any]) -> Rows:
        statement = sql[name]
        return conn.execute(statement.sql, statement.args(given)).fetchall()

    conn.execute("BEGIN")  # one snapshot for the whole card
    try:
        return read_card(run, key, pbx, call_id)
    finally:
        conn.execute("COMMIT")


def _connection(path: str, busy_ms: int) -> sqlite3.Connection:
    """This thread's connection to path, opened once; the least recently used is closed past a few."""
    conns: OrderedDict[tuple[str, int], sqlite3.Connection] | None = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = OrderedDict()
    conn = conns.get((path, busy_ms))
    if conn is not None and _is_open(path, conn):
        conns.move_to_end((path, busy_ms))
        return conn
    conn = open_reader(path, busy_ms)
    with _open_lock:
        _open.setdefault(path, set()).add(conn)
    conns[(path, busy_ms)] = conn
    while len(conns) > CONNECTIONS_PER_THREAD:
        (old_path, _busy), old = conns.popitem(last=False)
        with _open_lock:
            _open.get(old_path, set()).discard(old)
        old.close()
    return conn


def open_reader(path: str, busy_timeout_ms: int = 5000) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    conn.execute("PRAGMA query_only=1")
    return conn
