"""Counts and a checksum over every row of every table: two databases hold the same data or not."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from crm_core.db import Database


async def fingerprint(db: Database) -> tuple[dict[str, int], str]:
    def scan(conn: sa.Connection) -> tuple[dict[str, int], str]:
        meta = sa.MetaData()
        meta.reflect(conn)
        digest, counts = hashlib.sha256(), {}
        for table in sorted(meta.tables.values(), key=lambda t: t.name):
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            counts[table.name] = len(rows)
            for row in rows:
                digest.update(repr((table.name, tuple(row))).encode())
        return counts, digest.hexdigest()

    async with db.reader.connect() as conn:
        return await conn.run_sync(scan)
