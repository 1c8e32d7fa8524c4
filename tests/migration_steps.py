"""Moving a test database between schema revisions with alembic, and reading its tables back."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect

from crm_core.db import Database
from crm_core.migrate import alembic_config


async def alembic_step(db: Database, verb: str, revision: str) -> None:
    """alembic `verb` ("upgrade" or "downgrade") to `revision`, on the database's writer."""

    def run(sync_conn: Any) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_conn
        getattr(command, verb)(cfg, revision)

    async with db.writer.begin() as conn:
        await conn.run_sync(run)


async def table_names(db: Database) -> set[str]:
    async with db.reader.connect() as conn:
        return await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
