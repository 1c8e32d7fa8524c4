"""The data-rights routes over HTTP (administrators) and the four CLI commands as an operator runs them."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sqlite3
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from callcenter.__main__ import main
from crm_core.data_rights.models import Erasure
from crm_core.db import Database
from crm_core.migrate import upgrade
from crm_core.models import Customer
from recordings.store import RecordingStore
from tests.data_rights.person import NAME, make_person, traces_in_database
from tests.data_rights.test_backup import running, sqlite_url
from tests.e2e.conftest import PASSWORD
from tests.signin import sign_in


async def test_given_an_administrator_then_export_is_a_zip_and_erase_needs_the_id_repeated(
    tmp_path: Path,
) -> None:
    async with running(tmp_path / "svc", sqlite_url(tmp_path / "svc" / "crm.sqlite3")) as service:
        await service.users.create("root", PASSWORD, "Root", role="admin")
        store = RecordingStore(Path(service.settings.recordings.store_dir), tmp_path / "spool")
        person = await make_person(service.db, store)
        base, cid = f"http://127.0.0.1:{service.web_port}/api/v1/customers", person.customer_id
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await sign_in(http, f"http://127.0.0.1:{service.web_port}", "root")
            async with http.get(f"{base}/{cid}/export") as answer:
                assert answer.status == 200 and answer.content_type == "application/zip"
                archive = zipfile.ZipFile(io.BytesIO(await answer.read()))
            assert json.loads(archive.read("customer.json"))["customer"]["name"] == NAME
            for body in ({}, {"confirm": cid + 1}, {"confirm": str(cid)}):
                async with http.post(f"{base}/{cid}/erase?lang=en", json=body) as answer:
                    assert answer.status == 400 and (await answer.json())["field"] == "confirm"
            answers = []
            for _ in range(2):
                async with http.post(f"{base}/{cid}/erase", json={"confirm": cid}) as answer:
                    assert answer.status == 200
                    answers.append(await answer.json())
            assert answers[0] == answers[1] and answers[0]["counts"]["recording_files"] == 2
            async with http.get(f"{base}/{cid}/export") as answer:
                assert answer.status == 409
            async with http.post(f"{base}/999999/erase", json={"confirm": 999999}) as answer:
                assert answer.status == 404
            bin_ = f"http://127.0.0.1:{service.web_port}/api/v1/recycle-bin/customer/{cid}"
            for method, path, lang, words in (
                ("POST", "/restore", "en", "erased"),
                ("DELETE", "", "zh-CN", "已被删除"),
            ):
                async with http.request(method, f"{bin_}{path}?lang={lang}") as answer:
                    body = await answer.json()
                    assert answer.status == 409 and body["error"] == "recycle.erased_customer"
                    assert words in body["message"]
        assert await traces_in_database(service.db) == []


async def test_given_an_agent_or_a_supervisor_then_export_and_erase_are_forbidden(tmp_path: Path) -> None:
    async with running(tmp_path / "svc", sqlite_url(tmp_path / "svc" / "crm.sqlite3")) as service:
        cid = await service.customers.create("孙七", ["13900000021"])
        web_ = f"http://127.0.0.1:{service.web_port}"
        for role in ("agent", "supervisor"):
            await service.users.create(role, PASSWORD, role.title(), role=role, team="A")
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                await sign_in(http, web_, role)
                async with http.get(f"{web_}/api/v1/customers/{cid}/export") as answer:
                    assert answer.status == 403, role
                async with http.post(f"{web_}/api/v1/customers/{cid}/erase", json={"confirm": cid}) as answer:
                    assert answer.status == 403, role
        async with service.db.read() as s:
            assert (await s.get(Customer, cid)).name == "孙七"


@pytest.fixture(autouse=True)
def root_logger_kept() -> Iterator[None]:
    """main() configures logging for a process; give the rest of the test session its own back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def callcenter(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str]:
    """The `callcenter` command as the console script runs it (in this process: no 2 s start-up each)."""
    code = main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    return code, out + err


def write_config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(
        f'[database]\nurl = "{sqlite_url(folder / "crm.sqlite3")}"\n'
        f'[recordings]\nstore_dir = "{folder / "store"}"\nspool_dir = "{folder / "spool"}"\n',
        encoding="utf-8",
    )
    return config


async def _person(folder: Path) -> int:
    db = Database(sqlite_url(folder / "crm.sqlite3"))
    try:
        await upgrade(db)
        return (await make_person(db, RecordingStore(folder / "store", folder / "spool"))).customer_id
    finally:
        await db.dispose()


async def _names(path: Path) -> list[str]:
    db = Database(sqlite_url(path))
    try:
        return await traces_in_database(db)
    finally:
        await db.dispose()


def test_the_cli_exports_erases_backs_up_and_restores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, other = write_config(tmp_path / "a"), write_config(tmp_path / "b")
    cid, out, copy = str(asyncio.run(_person(tmp_path / "a"))), tmp_path / "out", tmp_path / "before.sqlite3"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    results = [
        callcenter(capsys, config, "backup", str(copy)),
        callcenter(capsys, config, "export-customer", cid, str(out)),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    results.append(callcenter(capsys, config, "erase-customer", cid))
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{cid}\n"))
    results.append(callcenter(capsys, config, "erase-customer", cid))
    results.append(callcenter(capsys, config, "export-customer", cid, str(out)))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    results.append(callcenter(capsys, config, "restore", str(copy)))
    results.append(callcenter(capsys, config, "restore", str(copy), "--force"))  # the service is stopped
    results.append(callcenter(capsys, other, "restore", str(copy)))  # a fresh place, never erased there

    assert [code for code, _ in results] == [0, 0, 1, 0, 1, 1, 0, 0], results
    assert (out / f"customer-{cid}.zip").is_file()
    assert stat.S_IMODE((out / f"customer-{cid}.zip").stat().st_mode) == 0o600
    assert "Not confirmed" in results[2][1] and "已于" in results[3][1] and "已被删除" in results[4][1]
    assert "--force" in results[5][1] and "1 earlier erasures were applied again" in results[6][1]
    assert asyncio.run(_names(tmp_path / "a" / "crm.sqlite3")) == [], "the backup predates the erasure"
    assert asyncio.run(_tombs(tmp_path / "a" / "crm.sqlite3")) == [int(cid)]
    assert any(NAME in t for t in asyncio.run(_names(tmp_path / "b" / "crm.sqlite3"))), "b never erased them"


async def _tombs(path: Path) -> list[int]:
    db = Database(sqlite_url(path))
    try:
        async with db.read() as s:
            return list(await s.scalars(select(Erasure.customer_id)))
    finally:
        await db.dispose()


def test_given_a_database_whose_schema_is_not_current_then_export_and_erase_refuse_and_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path / "old")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    sqlite3.connect(tmp_path / "old" / "crm.sqlite3").close()  # exists, never migrated
    for args in (("export-customer", "1", str(tmp_path / "out")), ("erase-customer", "1", "--yes")):
        code, said = callcenter(capsys, config, *args)
        assert code == 1 and "callcenter migrate" in said
    with sqlite3.connect(tmp_path / "old" / "crm.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
