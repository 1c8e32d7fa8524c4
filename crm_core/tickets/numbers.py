"""Readable request numbers (SR-2026-000123) that two writers can never both get.

The per-year counter row is bumped with one UPDATE … RETURNING: PostgreSQL locks
the row until commit, SQLite has a single writer (BEGIN IMMEDIATE). The first
request of a year inserts the row inside a savepoint; losing that insert race
just means bumping the row the winner made.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.tickets.models import TicketCounter


async def allocate_number(s: AsyncSession, year: int) -> str:
    for _ in range(3):
        bumped = await s.scalar(
            update(TicketCounter)
            .where(TicketCounter.year == year)
            .values(last=TicketCounter.last + 1)
            .returning(TicketCounter.last)
        )
        if bumped is not None:
            return f"SR-{year}-{bumped:06d}"
        try:
            async with s.begin_nested():
                s.add(TicketCounter(year=year, last=1))
            return f"SR-{year}-{1:06d}"
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a request number")
