"""`callcenter recordings-purge` and `recordings-verify`: the retention job and the store check,
runnable from cron next to (or instead of) a running service."""

from __future__ import annotations

import logging
from pathlib import Path

from callcenter.settings import Settings
from crm_core.db import Database
from crm_core.recording.service import RecordingService, RetentionPolicy
from recordings.store import RecordingStore

log = logging.getLogger(__name__)


def _service(settings: Settings, db: Database) -> RecordingService:
    rec = settings.recordings
    store = RecordingStore(Path(rec.store_dir), Path(rec.spool_dir))
    policy = RetentionPolicy(rec.default_retention_days, rec.retention_days)

    def publish(event: object) -> None:  # no bus here: alarms go to the log
        log.warning("alarm %s", event)

    return RecordingService(db, store, publish, policy, file_format=rec.file_format)


async def run(settings: Settings, command: str) -> int:
    """Purge expired recordings or verify the store; prints the report, returns the exit code."""
    db = Database(settings.database.url)
    try:
        service = _service(settings, db)
        if command == "recordings-purge":
            report = await service.purge()
            code = 0
        else:
            report = await service.verify()
            code = report.exit_code
        for line in report.lines():
            print(line)
        return code
    finally:
        await db.dispose()
