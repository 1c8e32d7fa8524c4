"""A store that cannot take the file: a real full disk (a tiny tmpfs) and a real read-only mount.

Mounting needs root (or CAP_SYS_ADMIN); without it these tests are skipped, with the reason.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from crm_core.db import Database
from crm_core.events import SystemAlarm
from crm_core.recording.models import Recording
from crm_core.recording.service import RecordingService
from recordings.store import RecordingStore
from tests.conftest import need_service
from tests.recordings.support import answered_call, make_wav

AGENT = "Local/1001@agents/n"


def _mount(target: Path, options: str) -> Iterator[Path]:
    target.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True, timeout=10
    )
    if done.returncode != 0:
        need_service(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=10)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    yield from _mount(tmp_path / "tiny", "size=64k,mode=0755")


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    yield from _mount(tmp_path / "ro", "ro,size=64k")


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]  # hidden temp files included


async def _status(db: Database, call_id: str) -> tuple[str, str | None]:
    async with db.read() as s:
        rec = await s.scalar(select(Recording).where(Recording.call_id == call_id))
    assert rec is not None
    return rec.status, rec.stored_path


async def test_given_a_full_disk_when_ingesting_then_no_partial_file_an_alarm_and_the_next_call_still_stored(
    sqlite_db: Database, tiny_disk: Path, spool: Path, publish, alarms: list[SystemAlarm]
) -> None:
    service = RecordingService(sqlite_db, RecordingStore(tiny_disk, spool, settle_seconds=0.05), publish)
    big = make_wav(spool / "test-30.wav", 5.0)  # 80 KB: more than the 64 KB disk holds

    await service.on_call_ended(await answered_call(sqlite_db, "30", AGENT))

    assert await _status(sqlite_db, "30") == ("failed", None)
    assert _files(tiny_disk) == []  # the temp file was removed, nothing half-written remains
    assert (spool / "test-30.wav").read_bytes() == big  # the PBX's copy is kept for a retry
    assert [(a.source, a.kind, a.pbx, a.call_id) for a in alarms] == [
        ("recordings", "disk_full", "test", "30")
    ]
    assert "13912345678" not in alarms[0].detail

    small = make_wav(spool / "test-31.wav", 0.5)  # 8 KB fits: the service kept going
    await service.on_call_ended(await answered_call(sqlite_db, "31", AGENT))
    status, path = await _status(sqlite_db, "31")
    assert status == "stored" and path is not None
    assert (tiny_disk / path).read_bytes() == small
    assert len(alarms) == 1


async def test_given_a_store_that_refuses_writes_then_failed_status_and_an_alarm(
    sqlite_db: Database, read_only_disk: Path, spool: Path, publish, alarms: list[SystemAlarm]
) -> None:
    service = RecordingService(sqlite_db, RecordingStore(read_only_disk, spool, settle_seconds=0.05), publish)
    make_wav(spool / "test-40.wav", 0.5)

    await service.on_call_ended(await answered_call(sqlite_db, "40", AGENT))

    assert await _status(sqlite_db, "40") == ("failed", None)
    assert [a.kind for a in alarms] == ["store_not_writable"]
    assert (spool / "test-40.wav").exists() and _files(read_only_disk) == []
