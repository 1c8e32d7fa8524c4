"""Screen-pop customer lookup on a million customers and five million call records (issue 10, target c).

What is measured: CustomerService.card_for_number(caller number, current call), the whole card
the pop-up shows (the customer, their numbers, last calls, open requests and callbacks, the
candidates of a shared number), from a raw caller number as the AMI gives it.
Targets: p99 <= 1 ms on SQLite, <= 2 ms on PostgreSQL.
Baseline in the same run, interleaved lookup by lookup: the driver alone running the same
statements (stdlib sqlite3 in the event-loop thread; asyncpg on a dedicated connection), and,
for scale, the ORM path the restricted lookups still take.

Run: `.venv/bin/python bench/lookup.py [customers] [calls] [lookups]` (defaults 1,000,000,
5,000,000, 5,000). The SQLite data set is cached in var/bench/ (gitignored); PostgreSQL
(CRM_TEST_PG_DSN or postgresql://postgres@127.0.0.1:5432/test) gets a database
crm_bench_lookup that is kept for the next run; `--drop-pg` drops it at the end; `--no-sqlite`,
`--no-pg` skip one. The first load takes minutes (on the shared 2-core machine, load average ~12:
18 min for SQLite, 12 min for PostgreSQL); later runs measure only (~3 min each)."""

from __future__ import annotations

import asyncio
import os
import platform
import random
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import asyncpg  # noqa: E402
import lookup_data  # noqa: E402

from crm_core.card_reader import CardReader, _read_asyncpg, open_reader, read_card  # noqa: E402
from crm_core.customers import CustomerService  # noqa: E402
from crm_core.db import Database  # noqa: E402
from crm_core.migrate import upgrade  # noqa: E402

PG = os.environ.get("CRM_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PG_NAME = "crm_bench_lookup"
CURRENT_CALL = ("bj", "1799999999.1")  # the ringing call: left out of the card's history


def _numbers(n_customers: int, count: int, seed: int = 11) -> list[str]:
    """Caller numbers as the PBX gives them (national format); 1 in 20 belongs to no customer."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        cid = rng.randint(1, n_customers)
        out.append(f"139{cid:08d}" if i % 20 == 0 else f"138{cid:08d}")
    return out


def _stats(samples: list[float]) -> str:
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(len(s) * q))] * 1e6  # noqa: E731
    return f"p50 {pick(0.5):7.0f} µs  p99 {pick(0.99):7.0f} µs  max {s[-1] * 1e6:7.0f} µs  (n={len(s)})"


async def _timed(work: Callable[[], Awaitable[Any]]) -> float:
    began = time.perf_counter()
    await work()
    return time.perf_counter() - began


async def _compare(
    services: dict[str, CustomerService],
    label: str,
    baseline: Callable[[str], Awaitable[Any]],
    numbers: list[str],
) -> CustomerService:
    """Each variant and the baseline, interleaved lookup by lookup so a busy moment of the machine hits
    all alike; each on numbers of its own (no variant finds another's caller in a warm cache)."""
    names = [*services, label]
    count = (len(numbers) - 500) // len(names)
    mine = {name: numbers[500 + k * count : 500 + (k + 1) * count] for k, name in enumerate(names)}
    first = next(iter(services.values()))
    for raw in numbers[:500]:  # warm up: OS pages, prepared statements, code paths
        for service in services.values():
            await service.card_for_number(raw, CURRENT_CALL)
        await baseline(first.normalize(raw))
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(count):
        for name, service in services.items():
            times[name].append(
                await _timed(lambda s=service, r=mine[name][i]: s.card_for_number(r, CURRENT_CALL))
            )
        key = first.normalize(mine[label][i])  # the baseline gets the E.164 key: the queries alone
        times[label].append(await _timed(lambda k=key: baseline(k)))
    for name in names:
        print(f"  {name:<38} {_stats(times[name])}")
    p99 = lambda s: sorted(s)[int(len(s) * 0.99)]  # noqa: E731
    for name in services:
        print(f"  p99 ratio {name} / baseline: {p99(times[name]) / p99(times[label]):.2f}")
    return first


async def _check(service: CustomerService, numbers: list[str]) -> None:
    """The ORM path for scale, and the fast path's cards against the ORM path's."""
    slow = CustomerService(service.db, "CN")
    slow.reader = None  # the ORM path, as before this work
    orm = [await _timed(lambda r=raw: slow.card_for_number(r, CURRENT_CALL)) for raw in numbers[:1000]]
    print(f"  {'ORM path (for scale)':<38} {_stats(orm)}")
    same = 0
    for raw in numbers[:200] + [f"138{i:08d}" for i in range(99, 2000, 100)]:  # incl. shared numbers
        fast = await service.card_for_number(raw, CURRENT_CALL)
        orm_card = await slow.card_for_number(raw, CURRENT_CALL)
        same += fast.to_json() == orm_card.to_json()
    print(f"  cards identical to the ORM path's: {same}/220")


def _cache_file(n_customers: int, n_calls: int) -> str:
    """Where the generated SQLite data set is kept between runs (var/ is gitignored)."""
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"lookup-{n_customers}-{n_calls}.sqlite3")


def _mib(path: str) -> float:
    return os.path.getsize(path) / 2**20


def _remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)


async def sqlite_run(n_customers: int, n_calls: int, numbers: list[str]) -> None:
    path = _cache_file(n_customers, n_calls)
    if lookup_data.sqlite_loaded(path) != n_customers:
        _remove(path)
        db = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade(db)
        await db.dispose()
        print(f"SQLite: loaded in {lookup_data.fill_sqlite(path, n_customers, n_calls):.0f} s -> {path}")
    else:
        print(f"SQLite: reusing {path}")
    print(f"SQLite: file {_mib(path):.0f} MiB")
    db = Database(f"sqlite+aiosqlite:///{path}")
    service = CustomerService(db, "CN")
    assert service.reader is not None
    hop = CustomerService(db, "CN")
    hop.reader = CardReader(db, inline=False)
    conn, sql = open_reader(path), service.reader.sql
    for name in sql:
        plan = conn.execute("EXPLAIN QUERY PLAN " + sql[name].sql, sql[name].args({})).fetchall()
        print(f"  plan {name:<9} " + " | ".join(row[-1] for row in plan))

    def run(name: str, given: dict[str, Any]) -> list[Any]:
        return conn.execute(sql[name].sql, sql[name].args(given)).fetchall()

    async def baseline(key: str) -> Any:
        return read_card(run, key, *CURRENT_CALL)

    try:
        variants = {"card_for_number (inline, default)": service, "card_for_number (thread pool)": hop}
        await _compare(variants, "stdlib sqlite3, same statements", baseline, numbers)
        await _check(service, numbers)
    finally:
        conn.close()
        await db.dispose()


async def pg_run(n_customers: int, n_calls: int, numbers: list[str], drop: bool) -> None:
    try:
        admin = await asyncpg.connect(PG)
    except OSError as exc:
        print(f"PostgreSQL: skipped, unreachable ({exc})")
        return
    url = PG.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{PG_NAME}"
    dsn = PG.rsplit("/", 1)[0] + f"/{PG_NAME}"
    try:
        await _pg_prepare(admin, url, dsn, n_customers, n_calls)
        db = Database(url)
        service = CustomerService(db, "CN")
        assert service.reader is not None
        conn, sql = await asyncpg.connect(dsn), service.reader.sql
        try:
            await _compare(
                {"card_for_number": service}, "asyncpg alone, same statements",
                lambda key: _read_asyncpg(conn, sql, key, *CURRENT_CALL), numbers,
            )  # fmt: skip
            await _check(service, numbers)
        finally:
            await conn.close()
            await db.dispose()
    finally:
        if drop:
            await admin.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        await admin.close()


async def _pg_prepare(admin: asyncpg.Connection, url: str, dsn: str, n_customers: int, n_calls: int) -> None:
    exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", PG_NAME)
    if exists:
        conn = await asyncpg.connect(dsn)
        loaded = await lookup_data.pg_loaded(conn)
        await conn.close()
        if loaded == n_customers:
            print(f"PostgreSQL: reusing database {PG_NAME}")
            return
        await admin.execute(f'DROP DATABASE "{PG_NAME}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{PG_NAME}"')
    db = Database(url)
    await upgrade(db)
    await db.dispose()
    conn = await asyncpg.connect(dsn)
    try:
        print(f"PostgreSQL: loaded in {await lookup_data.fill_pg(conn, n_customers, n_calls):.0f} s")
    finally:
        await conn.close()


async def main(argv: list[str]) -> None:
    drop = "--drop-pg" in argv
    args = [int(a) for a in argv if not a.startswith("--")]
    n_customers, n_calls, lookups = (args + [1_000_000, 5_000_000, 5_000][len(args) :])[:3]
    print(
        f"setup: python {platform.python_version()}, {os.cpu_count()} CPU(s), load average "
        f"{os.getloadavg()[0]:.1f} (other work on the machine); "
        f"{n_customers:,} customers ({n_customers // lookup_data.SHARED_EVERY:,} numbers shared by two), "
        f"{n_calls:,} call records, {n_customers // lookup_data.REQUEST_EVERY:,} open requests, "
        f"{n_customers // lookup_data.CALLBACK_EVERY:,} callbacks; {lookups:,} lookups of random "
        "callers (1 in 20 unknown) each, after 500 warm-up"
    )
    numbers = _numbers(n_customers, 500 + 3 * lookups)
    if "--no-sqlite" not in argv:
        await sqlite_run(n_customers, n_calls, numbers)
    if "--no-pg" not in argv:
        await pg_run(n_customers, n_calls, numbers, drop)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
