"""Where one customer's export and erasure stop: never at another customer, never half done.

Audit rows are matched by whole values, never as part of another name; recycling an erased
customer is refused; a recording file that cannot be removed leaves rows a re-run finishes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import stat
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from crm_core.audit.models import AuditEntry
from crm_core.customers import CustomerService
from crm_core.data_rights.models import Erasure
from crm_core.data_rights.service import DataRights
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM
from crm_core.models import Customer
from crm_core.recording.models import Recording
from crm_core.recycle.service import ErasedCustomer, RecycleBin
from crm_core.tickets.models import ServiceRequest, TicketStep
from crm_core.tickets.service import TicketService
from recordings.store import RecordingStore
from tests.data_rights.person import AUDIO, Agent, make_person, traces_in_database, traces_in_files


class Admin:
    id, role = None, "admin"


@pytest.fixture
def store(tmp_path: Path) -> RecordingStore:
    return RecordingStore(tmp_path / "store", tmp_path / "spool")


async def _audit_of(db: Database, customer_id: int) -> list[tuple[str, object]]:
    async with db.read() as s:
        rows = await s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "customer", AuditEntry.entity_id == customer_id)
            .order_by(AuditEntry.id)
        )
        return [(a.action, a.after) for a in rows]


async def test_given_names_inside_other_names_then_export_and_erasure_leave_the_others_audit_alone(
    db: Database, store: RecordingStore, tmp_path: Path
) -> None:
    customers = CustomerService(db, "CN")
    wang = await customers.create("王明", ["13900000001"])
    wang_hua = await customers.create("王明华", ["13900000002"])
    li = await customers.create("Li", ["13900000003"])
    alice = await customers.create("Alice Oliver", ["13900000004"])
    before = {cid: await _audit_of(db, cid) for cid in (wang_hua, alice)}
    rights = DataRights(db, store)

    exported = await rights.export(wang, tmp_path, SYSTEM)
    with zipfile.ZipFile(exported.path) as archive:
        audit = json.loads(archive.read("customer.json"))["audit"]
    assert audit and {(a["entity"], a["entity_id"]) for a in audit} == {("customer", wang)}

    await rights.erase(li, SYSTEM)
    await rights.erase(wang, SYSTEM)
    assert {cid: await _audit_of(db, cid) for cid in (wang_hua, alice)} == before


async def test_given_an_erased_customer_then_the_recycle_bin_neither_restores_nor_purges_them(
    db: Database, store: RecordingStore
) -> None:
    person = await make_person(db, store)
    rights = DataRights(db, store)
    first = await rights.erase(person.customer_id, Agent(person.agent_id))
    bin_ = RecycleBin(db)
    for action in (bin_.restore, bin_.purge):
        with pytest.raises(ErasedCustomer):
            await action("customer", person.customer_id, Admin())
    async with db.read() as s:
        assert (await s.get(Customer, person.customer_id)) is not None
        kept = await s.scalar(
            select(func.count())
            .select_from(ServiceRequest)
            .where(ServiceRequest.customer_id == person.customer_id)
        )
    assert kept == 2, "the requests (and their figures) stay"

    async with db.write() as s:  # a row removed some other way (or before the bin refused it)
        await s.execute(delete(Customer).where(Customer.id == person.customer_id))
    assert await rights.erase(person.customer_id, Agent(person.agent_id)) == first


async def test_given_a_recording_file_that_cannot_be_removed_then_rows_say_purged_and_a_rerun_finishes(
    db: Database, store: RecordingStore
) -> None:
    person = await make_person(db, store)
    stuck = store.locate(person.recording_paths[0])
    stuck.unlink()
    stuck.mkdir()  # unlink() of a folder fails: the file cannot be removed this time
    (stuck / "x").write_bytes(b"x")
    rights = DataRights(db, store)

    first = await rights.erase(person.customer_id, Agent(person.agent_id))

    async with db.read() as s:
        rows = list(await s.scalars(select(Recording).where(Recording.call_record_id.in_(person.calls))))
    assert {r.status for r in rows} == {"purged"}, "never 'stored' for a file that is going"
    assert sorted(r.stored_path for r in rows if r.stored_path) == [person.recording_paths[0]]
    (stuck / "x").unlink()
    stuck.rmdir()
    stuck.write_bytes(AUDIO)
    assert await rights.erase(person.customer_id, Agent(person.agent_id)) == first
    async with db.read() as s:
        paths = list(
            await s.scalars(select(Recording.stored_path).where(Recording.call_record_id.in_(person.calls)))
        )
    assert paths == [None, None] and not stuck.exists()


async def test_given_a_recording_still_in_the_spool_when_erased_then_the_spool_file_goes_too(
    db: Database, store: RecordingStore
) -> None:
    person = await make_person(db, store)
    call_id = f"pend-{uuid.uuid4().hex[:8]}"
    async with db.write() as s:
        s.add(
            Recording(
                public_id=uuid.uuid4().hex,
                pbx="main",
                call_id=call_id,
                format="wav",
                customer_id=person.customer_id,
                status="pending",
                started_at=datetime.now(UTC),
            )
        )
    store.spool.mkdir(parents=True, exist_ok=True)
    spooled = store.spool / f"main-{call_id}.wav"
    spooled.write_bytes(AUDIO)

    await DataRights(db, store).erase(person.customer_id, Agent(person.agent_id))

    assert not spooled.exists()
    assert traces_in_files(store.root) == []


async def test_given_a_company_request_with_them_as_contact_then_only_the_contact_link_goes(
    db: Database, store: RecordingStore
) -> None:
    person = await make_person(db, store)
    company = await CustomerService(db, "CN").create("五金批发公司", ["13900000009"], kind="company")
    request = await TicketService(db).create(
        SYSTEM, company, "批量订货", description="每月两百箱", contact_id=person.customer_id
    )
    async with db.write() as s:
        s.add(
            TicketStep(
                request_id=request.id, action="note", to_status="new", note="已报价", at=datetime.now(UTC)
            )
        )

    await DataRights(db, store).erase(person.customer_id, Agent(person.agent_id))

    async with db.read() as s:
        kept = await s.get(ServiceRequest, request.id)
        notes = list(await s.scalars(select(TicketStep.note).where(TicketStep.request_id == request.id)))
    assert kept is not None and (kept.subject, kept.description, kept.contact_id) == (
        "批量订货",
        "每月两百箱",
        None,
    )
    assert "已报价" in notes


async def test_given_two_erasures_at_once_then_one_tombstone_and_the_same_answer(
    db: Database, store: RecordingStore
) -> None:
    person = await make_person(db, store)
    rights = DataRights(db, store)
    first, second = await asyncio.gather(
        rights.erase(person.customer_id, Agent(person.agent_id)),
        rights.erase(person.customer_id, Agent(person.agent_id)),
    )
    assert first == second
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(Erasure)) == 1
    assert await traces_in_database(db) == []


async def test_given_a_stored_recording_without_its_file_then_the_export_lists_it_as_missing(
    db: Database, store: RecordingStore, tmp_path: Path
) -> None:
    person = await make_person(db, store)
    store.locate(person.recording_paths[1]).unlink()
    result = await DataRights(db, store).export(person.customer_id, tmp_path / "out", Agent(person.agent_id))
    with zipfile.ZipFile(result.path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        recordings = [n for n in archive.namelist() if n.startswith("recordings/")]
    missing = [f for f in manifest["files"] if f.get("missing")]
    assert len(recordings) == 1 and len(missing) == 1 and missing[0]["path"].startswith("recordings/")
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600, "a person's data: the owner's only"
    assert hashlib.sha256(b"").hexdigest() not in {f.get("sha256") for f in manifest["files"]}
