"""Backup while the service writes, restore into a fresh place, start the service there: all there.

SQLite through sqlite3's online backup API; PostgreSQL through pg_dump -Fc / pg_restore.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from callcenter.backup import BackupError, backup, restore
from callcenter.service import Service
from crm_core.audit.models import AuditEntry
from crm_core.db import Database
from crm_core.migrate import upgrade
from crm_core.models import Customer, CustomerPhone
from tests.conftest import _pg_database, _pg_drop, _pg_reachable, need_service
from tests.data_rights.dbcheck import fingerprint
from tests.polling import eventually
from tests.security.conftest import security_settings


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@contextlib.asynccontextmanager
async def running(folder: Path, url: str):  # type: ignore[no-untyped-def]
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    service = Service(security_settings(folder, url))
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def keep_writing(service: Service, stop: asyncio.Event, written: list[int]) -> None:
    """Customers with a phone and an audit row each, one transaction apiece, until told to stop."""
    for i in range(2000):
        if stop.is_set():
            return
        await service.customers.create(f"客户{i}", [f"+86139{i:08d}"])
        written.append(i)
        await asyncio.sleep(0)


async def wait_for_count(written: list[int], count: int) -> None:
    await eventually(lambda: len(written) >= count, within=30)


async def whole(db: Database) -> int:
    """Each customer came with its phone and its audit row: a torn copy would break the equality."""
    async with db.read() as s:
        customers = await s.scalar(select(func.count()).select_from(Customer))
        phones = await s.scalar(select(func.count()).select_from(CustomerPhone))
        created = await s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "create")
        )
    assert customers == phones == created
    return int(customers or 0)


async def test_given_the_service_writing_when_backed_up_and_restored_then_the_data_is_whole(
    tmp_path: Path,
) -> None:
    live, copy = tmp_path / "live" / "crm.sqlite3", tmp_path / "backup.sqlite3"
    async with running(tmp_path / "live", sqlite_url(live)) as service:
        stop, written = asyncio.Event(), []
        writer = asyncio.create_task(keep_writing(service, stop, written))
        await wait_for_count(written, 20)
        done = await asyncio.to_thread(backup, sqlite_url(live), copy)
        await wait_for_count(written, len(written) + 10)  # writes went on during and after the copy
        stop.set()
        await writer
    assert done.fields["check"] == "ok"
    saved = Database(sqlite_url(copy))
    try:
        expected = await fingerprint(saved)
        kept = await whole(saved)
    finally:
        await saved.dispose()
    assert 20 <= kept < len(written)

    fresh = tmp_path / "fresh" / "crm.sqlite3"
    restored = await asyncio.to_thread(restore, sqlite_url(fresh), copy)
    assert restored.fields["check"] == "ok"
    async with running(tmp_path / "fresh", sqlite_url(fresh)) as service:
        assert await fingerprint(service.db) == expected
        assert await whole(service.db) == kept
        health = f"http://127.0.0.1:{service.web_port}/api/health"
        async with aiohttp.ClientSession() as http, http.get(health) as answer:
            assert answer.status == 200


async def test_given_a_database_with_data_or_in_use_when_restored_without_force_then_refused(
    tmp_path: Path,
) -> None:
    first, target = tmp_path / "a" / "crm.sqlite3", tmp_path / "b" / "crm.sqlite3"
    async with running(tmp_path / "a", sqlite_url(first)) as service:
        await service.customers.create("张三", ["13800000001"])
        await asyncio.to_thread(backup, sqlite_url(first), tmp_path / "one.sqlite3")
        with pytest.raises(BackupError) as in_use:
            restore(sqlite_url(first), tmp_path / "one.sqlite3")
        assert in_use.value.key == "data_rights.cli.restore_refused"
    async with running(tmp_path / "b", sqlite_url(target)) as service:
        await service.customers.create("李四", ["13800000002"])
    with pytest.raises(BackupError) as has_data:
        restore(sqlite_url(target), tmp_path / "one.sqlite3")
    assert has_data.value.key == "data_rights.cli.restore_refused"
    restore(sqlite_url(target), tmp_path / "one.sqlite3", force=True)
    db = Database(sqlite_url(target))
    try:
        async with db.read() as s:
            assert list(await s.scalars(select(Customer.name))) == ["张三"]
    finally:
        await db.dispose()


def test_given_a_file_that_is_no_backup_when_restored_then_refused_and_nothing_written(
    tmp_path: Path,
) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(BackupError) as refused:
        restore(sqlite_url(tmp_path / "new.sqlite3"), junk)
    assert refused.value.key == "data_rights.cli.not_a_database"
    assert not (tmp_path / "new.sqlite3").exists()
    with pytest.raises(BackupError) as missing:
        backup(sqlite_url(tmp_path / "missing.sqlite3"), tmp_path / "out.sqlite3")
    assert missing.value.key == "data_rights.cli.no_such_file"


def _tiny_backup(path: Path) -> Path:
    """The smallest file restore accepts: a sound SQLite database with a schema version."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        conn.execute("INSERT INTO alembic_version VALUES ('x')")
        conn.commit()
    return path


def test_given_bad_places_then_backup_and_restore_answer_with_a_message_never_a_traceback(
    tmp_path: Path,
) -> None:
    source = _tiny_backup(tmp_path / "small.sqlite3")
    with pytest.raises(BackupError) as no_folder:
        backup(sqlite_url(source), tmp_path / "nowhere" / "copy.sqlite3")
    assert no_folder.value.key == "data_rights.cli.folder_missing"

    junk = tmp_path / "junk" / "crm.sqlite3"
    junk.parent.mkdir()
    junk.write_bytes(b"not a database at all" * 300)
    with pytest.raises(BackupError) as over_junk:
        restore(sqlite_url(junk), source)
    assert over_junk.value.key == "data_rights.cli.restore_refused", "a file of unknown content is kept"
    assert restore(sqlite_url(junk), source, force=True).fields["check"] == "ok"
    with contextlib.closing(sqlite3.connect(junk)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("x",)]
    assert sorted(p.name for p in junk.parent.iterdir()) == ["crm.sqlite3"], "no partial file left"


def test_given_an_empty_wal_database_held_open_then_restore_refuses_it_as_in_use(tmp_path: Path) -> None:
    source, target = _tiny_backup(tmp_path / "small.sqlite3"), tmp_path / "empty.sqlite3"
    with contextlib.closing(sqlite3.connect(target)) as holder:
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute(
            "PRAGMA user_version=1"
        )  # a WAL database with no tables: nothing but the lock says "in use"
        with pytest.raises(BackupError) as in_use:
            restore(sqlite_url(target), source)
        assert in_use.value.key == "data_rights.cli.restore_refused"
    assert restore(sqlite_url(target), source).fields["check"] == "ok", "once closed, it may be restored"


@pytest.mark.postgres
async def test_given_postgresql_when_dumped_and_restored_then_the_same_rows(tmp_path: Path) -> None:
    need_service(await _pg_reachable())
    need_service(None if shutil.which("pg_dump") and shutil.which("pg_restore") else "pg_dump not on PATH")
    (one, one_url), (two, two_url) = await _pg_database(), await _pg_database()
    try:
        source = Database(one_url)
        await upgrade(source)
        async with running(tmp_path / "pg", one_url) as service:  # seeds what the service seeds once
            for i in range(5):
                await service.customers.create(f"客户{i}", [f"+86139{i:08d}"])
        expected = await fingerprint(source)
        await source.dispose()
        dump = tmp_path / "crm.dump"
        assert (await asyncio.to_thread(backup, one_url, dump)).fields["size"] > 0
        await asyncio.to_thread(restore, two_url, dump)
        with pytest.raises(BackupError):
            await asyncio.to_thread(restore, two_url, dump)  # it holds data now
        async with running(tmp_path / "pg2", two_url) as service:
            assert await fingerprint(service.db) == expected
            assert await whole(service.db) == 5
    finally:
        await _pg_drop(one)
        await _pg_drop(two)
