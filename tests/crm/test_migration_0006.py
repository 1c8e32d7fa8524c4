"""Migration 0006 on SQLite and PostgreSQL: callbacks and notes get call_record_id; going down and up
again keeps every callback, attempt and note (SQLite rebuilds the tables by copy), and a call record
deleted later leaves the work it was linked to in place, unlinked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, inspect, text

from crm_core.callbacks.service import CallbackService
from crm_core.contacts.service import CustomerProfiles
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM
from crm_core.migrate import current_revision, head_revision, upgrade
from crm_core.models import CallRecord
from tests.migration_steps import alembic_step

LINKED = ("callbacks", "customer_notes")


async def _columns(db: Database, table: str) -> set[str]:
    def names(sync_conn: Any) -> set[str]:
        return {c["name"] for c in inspect(sync_conn).get_columns(table)}

    async with db.reader.connect() as conn:
        return await conn.run_sync(names)


async def _linked_work(db: Database) -> int:
    """A call record, and a customer's callback (with one attempt) and note both linked to it."""
    async with db.write() as s:
        call = CallRecord(pbx="main", call_id="1700000000.1", started_at=datetime(2026, 1, 1, tzinfo=UTC))
        s.add(call)
        await s.flush()
        record_id = call.id
    customers = CustomerService(db, "CN")
    cid = await customers.create("Old Customer", ["13800138000"])
    callbacks = CallbackService(db, customers)
    cb = await callbacks.create(SYSTEM, "13800138000", customer_id=cid, call_record_id=record_id)
    await callbacks.record_attempt(cb.id, SYSTEM, "busy")
    note = await CustomerProfiles(customers).add_note(cid, "asked for a callback", SYSTEM, record_id)
    assert (cb.call_record_id, note.call_record_id) == (record_id, record_id)
    return record_id


async def _counts(db: Database) -> tuple[int, ...]:
    async with db.read() as s:
        tables = ("callbacks", "callback_attempts", "customer_notes")
        return tuple([(await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in tables])


async def _links(db: Database) -> tuple[int | None, ...]:
    """The call_record_id of the (only) callback and the (only) note."""
    async with db.read() as s:
        return tuple(
            [(await s.execute(text(f"SELECT call_record_id FROM {t}"))).scalar_one() for t in LINKED]
        )


async def test_given_linked_callbacks_and_notes_when_0006_goes_down_and_up_then_no_row_is_lost(
    db: Database,
) -> None:
    await _linked_work(db)
    assert await _counts(db) == (1, 1, 1)

    await alembic_step(db, "downgrade", "0005")
    assert await current_revision(db) == "0005"
    for table in LINKED:
        assert "call_record_id" not in await _columns(db, table)
    assert await _counts(db) == (1, 1, 1)  # the attempt survived the rebuilt callbacks table

    await upgrade(db)
    assert await current_revision(db) == head_revision()
    for table in LINKED:
        assert "call_record_id" in await _columns(db, table)
    assert await _counts(db) == (1, 1, 1)
    assert await _links(db) == (None, None)  # the link went down with the column; nothing made one up


async def test_given_work_linked_to_a_call_when_the_call_record_is_deleted_then_the_work_stays_unlinked(
    db: Database,
) -> None:
    record_id = await _linked_work(db)
    async with db.write() as s:
        await s.execute(delete(CallRecord).where(CallRecord.id == record_id))
    assert await _links(db) == (None, None)
    assert await _counts(db) == (1, 1, 1)
