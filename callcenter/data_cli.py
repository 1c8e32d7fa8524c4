"""The data commands: `export-customer ID DIR`, `erase-customer ID`, `backup DEST`, `restore SRC`.

Messages are printed in the operator's language (LANG starting with "zh": Chinese, else English),
from the same catalogs as the web pages (agent_ui/locales/*/data_rights.po).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TextIO

from agent_ui.i18n import translate
from callcenter.backup import BackupError, backup, restore
from callcenter.settings import Settings
from crm_core.data_rights.service import DataRights
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Conflict, NotFound
from crm_core.migrate import upgrade
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
        try:
            if args.command == "backup":
                done = backup(settings.database.url, args.dest, args.force)
            else:
                done = restore(settings.database.url, args.src, args.force)
        except BackupError as exc:
            say(exc.key, sys.stderr, **exc.fields)
            return 1
        say(done.key, **done.fields)
        return 0
    if args.command == "erase-customer" and not args.yes and not _confirmed(args.id):
        say("data_rights.cli.erase_cancelled", sys.stderr)
        return 1
    return asyncio.run(_customer(settings, args))


def _confirmed(customer_id: int) -> bool:
    say("data_rights.cli.erase_prompt", sys.stdout, id=customer_id)
    return sys.stdin.readline().strip() == str(customer_id)


async def _customer(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.database.url)
    rec = settings.recordings
    rights = DataRights(db, RecordingStore(Path(rec.store_dir), Path(rec.spool_dir)))
    try:
        await upgrade(db)
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
