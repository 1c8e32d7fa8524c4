"""Exporting a customer: one zip with everything about them, their recordings and a checked manifest."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from crm_core.data_rights.service import DataRights
from crm_core.db import Database
from crm_core.domain_errors import Conflict
from recordings.store import RecordingStore
from tests.data_rights.person import EMAIL, NAME, Agent, make_person

SECTIONS = {
    "customer": 1, "phones": 2, "emails": 1, "tags": 1, "notes": 1, "calls": 2, "service_requests": 1,
    "complaints": 1, "callbacks": 1, "ivr_results": 2, "survey_answers": 2, "recordings": 2,
    "campaign_entries": 1, "do_not_call": 1,
}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> RecordingStore:
    return RecordingStore(tmp_path / "store", tmp_path / "spool")


async def test_given_a_customer_when_exported_then_the_zip_holds_everything_with_a_true_manifest(
    db: Database, store: RecordingStore, tmp_path: Path
) -> None:
    person = await make_person(db, store)
    result = await DataRights(db, store).export(person.customer_id, tmp_path / "out", Agent(person.agent_id))

    with zipfile.ZipFile(result.path) as archive:
        names = sorted(archive.namelist())
        data = json.loads(archive.read("customer.json"))
        manifest = json.loads(archive.read("manifest.json"))
        for item in manifest["files"]:
            assert hashlib.sha256(archive.read(item["path"])).hexdigest() == item["sha256"]
            assert len(archive.read(item["path"])) == item["size"]
    assert names == sorted(["customer.json", "manifest.json", *(f["path"] for f in manifest["files"][1:])])
    assert len([n for n in names if n.startswith("recordings/")]) == 2
    for section, count in SECTIONS.items():
        found = data[section] if isinstance(data[section], list) else [data[section]]
        assert len(found) == count, section
    assert data["customer"]["name"] == NAME and data["emails"][0]["email"] == EMAIL
    assert data["calls"][0]["agents"] and data["callbacks"][0]["attempts"]
    assert data["campaign_entries"][0]["attempts"]
    assert {a["action"] for a in data["audit"]} >= {"create", "update", "note"}
    on_disk = {hashlib.sha256(store.locate(p).read_bytes()).hexdigest() for p in person.recording_paths}
    in_zip = {f["sha256"] for f in manifest["files"] if f["path"].startswith("recordings/")}
    assert in_zip == on_disk, "each recording in the zip is the stored file's bytes"
    assert {r["sha256"] for r in data["recordings"]} == on_disk, "and the hash the CRM recorded for it"


async def test_given_unchanged_data_when_exported_twice_then_the_same_bytes(
    db: Database, store: RecordingStore, tmp_path: Path
) -> None:
    person = await make_person(db, store)
    rights = DataRights(db, store)
    first = (
        await rights.export(person.customer_id, tmp_path / "a", Agent(person.agent_id))
    ).path.read_bytes()
    again = await rights.export(person.customer_id, tmp_path / "a", Agent(person.agent_id))
    assert again.path.read_bytes() == first
    assert [p.name for p in (tmp_path / "a").iterdir()] == [again.path.name], "no partial file left"


async def test_given_an_erased_customer_when_exported_then_refused(
    db: Database, store: RecordingStore, tmp_path: Path
) -> None:
    person = await make_person(db, store)
    rights = DataRights(db, store)
    await rights.erase(person.customer_id, Agent(person.agent_id))
    with pytest.raises(Conflict):
        await rights.export(person.customer_id, tmp_path, Agent(person.agent_id))
