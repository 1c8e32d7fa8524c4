"""The data set of bench/lookup.py: a million customers and five million call records, made fast.

Rows come from plain generators and go in through the drivers' bulk paths (stdlib
sqlite3 executemany, asyncpg COPY) into a schema migrated by Alembic, with the big
table's secondary indexes built after the load. A marker table remembers a finished
load, so a second run reuses it (SQLite: a file under var/bench/, gitignored;
PostgreSQL: a database of its own that is kept).
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

START = datetime(2025, 1, 1, tzinfo=UTC)
OPEN_STATUSES = ("registered", "dispatched", "in_progress")
SHARED_EVERY = 100  # every 100th customer also has the number of the one before (a switchboard)
REQUEST_EVERY = 10  # every 10th customer has an open service request
CALLBACK_EVERY = 20  # every 20th a pending callback


def number_of(customer_id: int) -> str:
    """The E.164 number of a customer: valid Chinese mobile numbers, one per customer."""
    return f"+86138{customer_id:08d}"


def customers(n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(1, n + 1):
        company = f"公司{i // 50}" if i % 3 == 0 else None
        yield (i, "person", f"客户{i}", company, START, START, "", "", "", "Asia/Shanghai")


CUSTOMER_COLUMNS = (
    "id", "kind", "name", "company", "created_at", "updated_at", "value_segment", "region", "industry",
    "timezone",
)  # fmt: skip


def phones(n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(1, n + 1):
        yield (i, number_of(i), "mobile")
        if i % SHARED_EVERY == 0 and i > 1:
            yield (i, number_of(i - 1), "switchboard")


PHONE_COLUMNS = ("customer_id", "e164", "label")


def calls(n_calls: int, n_customers: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """Call records spread over two years, each of a random customer (some of no known customer)."""
    rng = random.Random(seed)
    step = timedelta(days=730) / n_calls
    for i in range(n_calls):
        cid = rng.randint(1, n_customers) if i % 10 else None
        number = number_of(cid) if cid else f"+86139{i % 10**8:08d}"
        started = START + step * i
        answered = i % 5 != 0
        yield (
            "bj", f"{1_700_000_000 + i}.{i % 997}", "inbound", number, "", cid, "support", "ended",
            "answered" if answered else "abandoned", started, started + timedelta(seconds=95),
            12.0, 80.0 if answered else 0.0, "", False,
        )  # fmt: skip


CALL_COLUMNS = (
    "pbx", "call_id", "direction", "caller_number", "caller_name", "customer_id", "queue", "status",
    "outcome", "started_at", "ended_at", "wait_seconds", "talk_seconds", "notes", "transferred",
)  # fmt: skip


def requests(n_customers: int) -> Iterator[tuple[Any, ...]]:
    for k, cid in enumerate(range(REQUEST_EVERY, n_customers + 1, REQUEST_EVERY), start=1):
        due = START + timedelta(days=900 if k % 2 else 1)
        yield (
            f"SR-2025-{k:07d}", "service", f"问题 {k}", "", "normal", "", "", cid, OPEN_STATUSES[k % 3], due,
            "", "", "", "", "", START, START,
        )  # fmt: skip


REQUEST_COLUMNS = (
    "number", "type", "subject", "description", "priority", "product", "category", "customer_id", "status",
    "due_at", "follow_up_comment", "severity", "demand", "resolution", "compensation", "created_at",
    "updated_at",
)  # fmt: skip


def callbacks(n_customers: int) -> Iterator[tuple[Any, ...]]:
    for cid in range(CALLBACK_EVERY, n_customers + 1, CALLBACK_EVERY):
        at = START + timedelta(days=800, minutes=cid % 1440)
        yield (number_of(cid), cid, "agent", at, at, "pending", 0, 3, "", START, START)


CALLBACK_COLUMNS = (
    "number", "customer_id", "source", "scheduled_at", "next_attempt_at", "status", "attempts",
    "max_attempts", "note", "created_at", "updated_at",
)  # fmt: skip


def tables(n_customers: int, n_calls: int) -> list[tuple[str, tuple[str, ...], Iterator[tuple[Any, ...]]]]:
    return [
        ("customers", CUSTOMER_COLUMNS, customers(n_customers)),
        ("customer_phones", PHONE_COLUMNS, phones(n_customers)),
        ("call_records", CALL_COLUMNS, calls(n_calls, n_customers)),
        ("service_requests", REQUEST_COLUMNS, requests(n_customers)),
        ("callbacks", CALLBACK_COLUMNS, callbacks(n_customers)),
    ]


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # the text SQLAlchemy's DateTime writes on SQLite
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def sqlite_loaded(path: str) -> int | None:
    """Customers in a finished load of path, or None."""
    try:
        conn = sqlite3.connect(path)
        try:
            return conn.execute("SELECT customers FROM bench_meta").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def fill_sqlite(path: str, n_customers: int, n_calls: int) -> float:
    """Load the data set into the migrated database at path; the seconds it took."""
    began = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")  # a bulk load into a new file: nothing to roll back to
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    deferred = conn.execute(
        "SELECT name, sql FROM sqlite_master"
        " WHERE type='index' AND tbl_name='call_records' AND sql IS NOT NULL"
    ).fetchall()
    for name, _sql in deferred:
        conn.execute(f'DROP INDEX "{name}"')
    for table, columns, rows in tables(n_customers, n_calls):
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        conn.execute("BEGIN")
        conn.executemany(sql, (tuple(_sqlite_value(v) for v in row) for row in rows))
        conn.execute("COMMIT")
    for _name, sql in deferred:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.execute("CREATE TABLE bench_meta (customers INTEGER, calls INTEGER)")
    conn.execute("INSERT INTO bench_meta VALUES (?, ?)", (n_customers, n_calls))
    conn.execute("PRAGMA journal_mode=WAL")  # as the service runs it
    conn.close()
    return time.perf_counter() - began


# --- PostgreSQL --------------------------------------------------------------------------------


async def pg_loaded(conn: asyncpg.Connection) -> int | None:
    try:
        return await conn.fetchval("SELECT customers FROM bench_meta")
    except asyncpg.PostgresError:
        return None


async def fill_pg(conn: asyncpg.Connection, n_customers: int, n_calls: int) -> float:
    """COPY the data set into the migrated database; secondary indexes of call_records after."""
    began = time.perf_counter()
    deferred = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'call_records'"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
    )
    for row in deferred:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    for table, columns, rows in tables(n_customers, n_calls):
        await _copy(conn, table, columns, rows)
    for row in deferred:
        await conn.execute(row["indexdef"])
    await conn.execute("SELECT setval(pg_get_serial_sequence('customers', 'id'), $1)", n_customers)
    await conn.execute("ANALYZE")
    await conn.execute("CREATE TABLE bench_meta (customers INTEGER, calls INTEGER)")
    await conn.execute("INSERT INTO bench_meta VALUES ($1, $2)", n_customers, n_calls)
    return time.perf_counter() - began


async def _copy(
    conn: asyncpg.Connection, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> None:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 200_000:
            await conn.copy_records_to_table(table, records=chunk, columns=list(columns))
            chunk = []
    if chunk:
        await conn.copy_records_to_table(table, records=chunk, columns=list(columns))
