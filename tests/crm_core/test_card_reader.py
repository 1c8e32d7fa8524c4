"""The screen pop's fast read path shows exactly the card the ORM path shows, whatever the customer has."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, text, update

from crm_core.callbacks.models import Callback
from crm_core.calls import CallRecordService
from crm_core.card_reader import CardReader
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.events import CallEnded, CallQueued
from crm_core.migrate import upgrade
from crm_core.models import Customer, utcnow
from crm_core.tickets.models import ServiceRequest

T0 = 1_790_000_000.0


async def _open_work(db: Database, customer_id: int) -> None:
    """Two open requests (one overdue), one closed; a pending callback and a done one."""
    now = utcnow()
    day = timedelta(days=1)
    common = {"type": "service", "customer_id": customer_id, "created_at": now, "updated_at": now}
    async with db.write() as s:
        conn = await s.connection()
        await conn.execute(insert(ServiceRequest), [
            {**common, "number": "SR-1", "subject": "late", "status": "registered", "due_at": now - day},
            {**common, "number": "SR-2", "subject": "fresh", "status": "in_progress", "due_at": now + day},
            {**common, "number": "SR-3", "subject": "done", "status": "closed", "due_at": now},
        ])  # fmt: skip
        at = now + timedelta(hours=2)
        await conn.execute(insert(Callback), [
            {"number": "+8613912345678", "customer_id": customer_id, "scheduled_at": at,
             "next_attempt_at": at, "status": status}
            for status in ("pending", "done")
        ])  # fmt: skip


async def test_given_any_customer_when_popped_then_the_fast_card_equals_the_orm_card(db: Database) -> None:
    customers = CustomerService(db, "CN")
    assert customers.reader is not None  # both SQLite and PostgreSQL have the fast path
    orm = CustomerService(db, "CN")
    orm.reader = None
    alice = await customers.create("Alice", ["13912345678", "+1 415 555 0100"], company="Example")
    calls = CallRecordService(db, "CN")
    for i in range(7):
        at = T0 + i * 100
        await calls.handle(CallQueued("bj", f"c{i}", "13912345678", "Alice", "support", 1, at))
        await calls.handle(CallEnded("bj", f"c{i}", "answered", "13912345678", "Alice", "support", None,
                                     at + 60, at, at + 5, 5.0, 55.0))  # fmt: skip
    await _open_work(db, alice)
    await customers.create("张伟", ["010-88886666"], company="示例集团")
    li = await customers.create("李娜", ["010-88886666"], company="示例集团")
    await customers.remember_pick("010-88886666", li)
    gone = await customers.create("Gone", ["13700000000"])
    async with db.write() as s:
        await s.execute(update(Customer).where(Customer.id == gone).values(deleted_at=utcnow()))

    ringing = ("bj", "c6")  # the call ringing now is left out of the history
    for number in ("139 1234 5678", "+14155550100", "010-88886666", "13700000000", "13800000000"):
        fast = await customers.card_for_number(number, ringing)
        assert fast.to_json() == (await orm.card_for_number(number, ringing)).to_json()

    card = await customers.card_for_number("139 1234 5678", ringing)
    assert card.id == alice and len(card.phones) == 2 and len(card.recent_calls) == 5
    assert card.recent_calls[0].started_at.timestamp() == T0 + 500  # c6 is the ringing call
    assert [(r["number"], r["overdue"]) for r in card.open_requests] == [("SR-2", False), ("SR-1", True)]
    assert [c["status"] for c in card.open_callbacks] == ["pending"]
    shared = await customers.card_for_number("010-88886666")
    assert shared.id == li and shared.other_matches == 1 and len(shared.candidates) == 2
    assert not (await customers.card_for_number("13700000000")).known  # in the recycle bin


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # SQLite has no server connection to lose
async def test_given_postgresql_dropped_the_readers_connection_then_the_next_pop_still_comes(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    customers = CustomerService(db, "CN")
    alice = await customers.create("Alice", ["13912345678"])
    assert (await customers.card_for_number("13912345678")).id == alice  # the reader's pool is open
    async with db.write() as s:  # the server ends every other session, as a restart would
        await s.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()"))  # fmt: skip
    assert (await customers.card_for_number("13912345678")).id == alice
    assert "card lookup failed on the reader's pool" in caplog.text  # and was served by the main pool


def _open_files(path: Path) -> list[str]:
    """This process's open files of the database (main file, -wal, -shm), from Linux /proc."""
    fds = Path("/proc/self/fd").iterdir()
    return [name for fd in fds if (name := os.path.realpath(fd)).startswith(str(path.resolve()))]


async def test_given_sqlite_when_the_database_is_disposed_then_none_of_its_files_stays_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crm.sqlite3"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(database)
    inline, pooled = CardReader(database), CardReader(database, inline=False)
    for reader in (inline, pooled):  # the event-loop thread's connection and a pool thread's
        assert (await reader.rows("+8613912345678", None)).matches == []
    assert _open_files(path)

    await database.dispose()

    assert _open_files(path) == []  # a backup or restore finds the file free
    again = Database(f"sqlite+aiosqlite:///{path}")
    try:  # the threads' cached connections are gone, not broken: a new database reads
        assert (await CardReader(again).rows("+8613912345678", None)).matches == []
    finally:
        await again.dispose()
