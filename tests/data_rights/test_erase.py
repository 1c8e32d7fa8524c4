"""Erasing a customer leaves no trace of them anywhere, keeps the figures, and can be run twice."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crm_core.audit.models import AuditEntry
from crm_core.callbacks.models import Callback, DoNotCall
from crm_core.callbacks.service import CallbackService
from crm_core.campaigns.dnc import DoNotCallList
from crm_core.customers import CustomerService
from crm_core.data_rights.models import Erasure
from crm_core.data_rights.service import DataRights
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, NotFound
from crm_core.models import CallRecord, Customer, CustomerPhone
from recordings.store import RecordingStore
from tests.data_rights.person import (
    NAME,
    NEEDLES,
    Agent,
    make_person,
    traces_in_database,
    traces_in_files,
)


@pytest.fixture
def store(tmp_path: Path) -> RecordingStore:
    return RecordingStore(tmp_path / "store", tmp_path / "spool")


async def test_given_a_customer_everywhere_when_erased_then_no_table_or_file_holds_them(
    db: Database, store: RecordingStore
) -> None:
    person = await make_person(db, store)
    assert len(await traces_in_database(db)) > 20, "the search must see the person before the erasure"
    assert traces_in_files(store.root), "the recordings hold the person before the erasure"

    result = await DataRights(db, store).erase(person.customer_id, Agent(person.agent_id))

    assert await traces_in_database(db) == []
    assert traces_in_files(store.root) == []
    assert not any(store.locate(p).exists() for p in person.recording_paths)
    assert result["counts"]["recording_files"] == 2
    assert result["customer_id"] == person.customer_id


async def test_given_an_erased_customer_then_the_calls_keep_what_the_figures_need(
    db: Database, store: RecordingStore
) -> None:
    person = await make_person(db, store)
    await DataRights(db, store).erase(person.customer_id, Agent(person.agent_id))
    async with db.read() as s:
        calls = list(await s.scalars(select(CallRecord).where(CallRecord.id.in_(person.calls))))
    assert len(calls) == 2
    for call in calls:
        assert (call.caller_number, call.caller_name, call.notes) == ("", "", "")
        assert call.queue == "support" and call.agent_id == person.agent_id and call.outcome == "answered"
        assert call.started_at and call.ended_at and call.talk_seconds == 300.0 and call.survey_score == 5


async def test_given_an_erasure_then_one_tombstone_and_one_audit_entry_without_personal_data(
    db: Database, store: RecordingStore
) -> None:
    person = await make_person(db, store)
    rights = DataRights(db, store)
    first = await rights.erase(person.customer_id, Agent(person.agent_id))
    async with db.read() as s:
        binned = (await s.get(Customer, person.customer_id)).deleted_at
    second = await rights.erase(person.customer_id, Agent(person.agent_id))

    assert second == first, "a second erasure answers the same, without an error"
    async with db.read() as s:
        assert (await s.get(Customer, person.customer_id)).deleted_at == binned
        tombs = list(await s.scalars(select(Erasure)))
        erased = list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "erase")))
    assert [t.customer_id for t in tombs] == [person.customer_id]
    assert len(erased) == 1 and erased[0].entity_id == person.customer_id
    assert erased[0].after["counts"]["call_records"] == 2
    assert not any(n in str(erased[0].after) for n in NEEDLES)
    assert await rights.erasure(person.customer_id) == first


async def test_given_no_such_customer_when_erased_then_not_found(db: Database, store: RecordingStore) -> None:
    with pytest.raises(NotFound):
        await DataRights(db, store).erase(987654, Agent(None))  # type: ignore[arg-type]


async def test_given_a_number_shared_with_another_customer_then_their_calls_and_callbacks_are_untouched(
    db: Database, store: RecordingStore, tmp_path: Path
) -> None:
    person = await make_person(db, store)
    customers = CustomerService(db, "CN")
    other = await customers.create("李四", ["13800138000"])  # the same mobile: a family phone
    callback = await CallbackService(db, customers).create(SYSTEM, "13800138000", customer_id=other)
    async with db.write() as s:
        call = CallRecord(
            pbx="main", call_id="shared-1", caller_number="+8613800138000", customer_id=other,
            started_at=datetime.now(UTC), status="ended", outcome="answered",
        )  # fmt: skip
        s.add(call)
        s.add(
            CallRecord(
                pbx="main",
                call_id="shared-2",
                caller_number="+8613800138000",
                caller_name="李四",
                notes="李四问快递",
                started_at=datetime.now(UTC),
                status="ended",
                outcome="answered",
            )
        )  # fmt: skip  (nobody linked: on a shared number it may be either of them)
    await DoNotCallList(db, customers).add("13800138000", f"{NAME} 不要打手机", SYSTEM)
    rights = DataRights(db, store)
    exported = await rights.export(person.customer_id, tmp_path / "out", Agent(person.agent_id))
    with zipfile.ZipFile(exported.path) as archive:
        data = json.loads(archive.read("customer.json"))
    assert "shared-2" not in {c["call_id"] for c in data["calls"]}
    assert "+8613800138000" not in {d["e164"] for d in data["do_not_call"]}

    await rights.erase(person.customer_id, Agent(person.agent_id))

    async with db.read() as s:
        kept_call = await s.scalar(select(CallRecord).where(CallRecord.call_id == "shared-1"))
        kept_callback = await s.get(Callback, callback.id)
        phones = list(await s.scalars(select(CustomerPhone.e164).where(CustomerPhone.customer_id == other)))
    assert kept_call is not None and kept_call.caller_number == "+8613800138000"
    assert kept_callback is not None and (kept_callback.number, kept_callback.status) == (
        "+8613800138000",
        "pending",
    )
    assert phones == ["+8613800138000"]
    async with db.read() as s:
        unlinked = await s.scalar(select(CallRecord).where(CallRecord.call_id == "shared-2"))
        line = await s.get(DoNotCall, "+8613800138000")
    assert unlinked is not None and (unlinked.caller_name, unlinked.notes) == ("李四", "李四问快递")
    assert line is not None and line.reason == "", (
        "the line stays for 李四, without words about the erased one"
    )
    leftovers = await traces_in_database(db)
    assert leftovers and all("13800138000" in t or "138 0013 8000" in t for t in leftovers), leftovers
