"""The data commands: `export-customer ID DIR`, `erase-customer ID`, `backup DEST`, `restore SRC`.

Messages are printed in the operator's language (LANG starting with "zh": Chinese, else English),
from the same catalogs as the web pages (agent_ui/locales/*/data_rights.po).
export/erase never migrate the database they are pointed at: a schema that is not current is
refused with a message. A restore reads the tombstones (data_erasures) of the database it
replaces first, and afterwards erases again everyone those and the restored database's own
tombstones name: restoring an older backup never brings an erased person back.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from agent_ui.i18n import translate
from callcenter.backup import BackupError, backup, restore, sqlite_path
from callcenter.settings import Settings
from crm_core.data_rights.models import Erasure
from crm_core.data_rights.service import DataRights, erasure_json
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Conflict, NotFound
from crm_core.migrate import current_revision, head_revision, upgrade
from recordings.store import RecordingStore

COMMANDS = ("export-customer", "erase-customer", "backup", "restore")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = sub.add_parser("export-customer", help="write customer-ID.zip (everything about them) into DIR")
    export.add_argument("id", type=int)
    export.add_argument("dir", type=Path)
    erase = sub.add_parser("erase-customer", help="erase a customer's personal data (asks to confirm)")
    erase.add_argument("id", type=int)
    erase.add_argument("--yes", action="store_true", help="do not ask (scripts)")
    copy = sub.add_parser("backup", help="copy the database to DEST (a file or a folder), online")
    copy.add_argument("dest", type=Path)
    copy.add_argument("--force", action="store_true", help="replace DEST if it exists")
    back = sub.add_parser("restore", help="replace the database with the backup SRC")
    back.add_argument("src", type=Path)
    back.add_argument(
        "--force", action="store_true", help="overwrite a database that holds data or is in use"
    )


def say(key: str, stream: TextIO | None = None, **fields: object) -> None:
    lang = "zh-CN" if os.environ.get("LANG", "").lower().startswith("zh") else "en"
    print(translate(lang, key).format(**fields), file=stream or sys.stdout, flush=True)


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.command in ("backup", "restore"):
        earlier: list[dict[str, Any]] = []
        try:
            if args.command == "restore":  # before the file is replaced: whom it says were erased
                earlier = asyncio.run(tombstones(settings.database.url))
            if args.command == "backup":
                done = backup(settings.database.url, args.dest, args.force)
            else:
                done = restore(settings.database.url, args.src, args.force)
        except BackupError as exc:
            say(exc.key, sys.stderr, **exc.fields)
            return 1
        say(done.key, **done.fields)
        if args.command == "restore":
            say("data_rights.cli.erasures_reapplied", count=asyncio.run(_reapply(settings, earlier)))
        return 0
    if args.command == "erase-customer" and not args.yes and not _confirmed(args.id):
        say("data_rights.cli.erase_cancelled", sys.stderr)
        return 1
    return asyncio.run(_customer(settings, args))


def _confirmed(customer_id: int) -> bool:
    say("data_rights.cli.erase_prompt", sys.stdout, id=customer_id)
    return sys.stdin.readline().strip() == str(customer_id)


def _rights(settings: Settings, db: Database) -> DataRights:
    rec = settings.recordings
    return DataRights(db, RecordingStore(Path(rec.store_dir), Path(rec.spool_dir)))


async def tombstones(url: str) -> list[dict[str, Any]]:
    """The erasures a database records; none when there is no database (or no such table) yet."""
    path = sqlite_path(url)
    if path is not None and (not path.is_file() or path.stat().st_size == 0):
        return []  # do not create the file by looking
    db = Database(url)
    try:
        async with db.read() as s:
            return [erasure_json(t) for t in await s.scalars(select(Erasure).order_by(Erasure.customer_id))]
    except (SQLAlchemyError, OSError):
        return []
    finally:
        await db.dispose()


async def _reapply(settings: Settings, earlier: list[dict[str, Any]]) -> int:
    """Erase again, in the restored database, everyone erased before (in it or in the one replaced)."""
    restored = await tombstones(settings.database.url)
    tombs = list({t["customer_id"]: t for t in [*restored, *earlier]}.values())
    if not tombs:
        return 0
    db = Database(settings.database.url)
    try:
        if await current_revision(db) != head_revision():
            await upgrade(db)  # an older backup: the service would migrate it at start anyway
        return await _rights(settings, db).reapply(sorted(tombs, key=lambda t: t["customer_id"]))
    finally:
        await db.dispose()


async def _customer(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.database.url)
    rights = _rights(settings, db)
    try:
        current, head = await current_revision(db), head_revision()
        if current != head:
            say("data_rights.cli.schema_not_current", sys.stderr, current=current or "-", head=head)
            return 1
        if args.command == "export-customer":
            result = await rights.export(args.id, args.dir, SYSTEM)
            say("data_rights.cli.exported", id=args.id, path=result.path, files=len(result.files))
        else:
            done = await rights.erase(args.id, SYSTEM)
            rows = sum(n for k, n in done["counts"].items() if k != "recording_files")
            files = done["counts"].get("recording_files", 0)
            say("data_rights.cli.erased", id=args.id, at=done["erased_at"], rows=rows, files=files)
        return 0
    except NotFound:
        say("data_rights.cli.not_found", sys.stderr, id=args.id)
        return 1
    except Conflict:
        say("data_rights.cli.already_erased", sys.stderr, id=args.id)
        return 1
    finally:
        await db.dispose()
