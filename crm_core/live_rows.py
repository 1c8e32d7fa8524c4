"""Loading a row that is not in the recycle bin: the one way every service fetches what it changes."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.domain_errors import NotFound

Row = TypeVar("Row")


async def live_row(s: AsyncSession, model: type[Row], row_id: int, label: str, lock: bool = False) -> Row:
    """The row with this id unless soft-deleted; locked for update when asked; NotFound otherwise."""
    table: Any = model
    query = select(model).where(table.id == row_id, table.deleted_at.is_(None))
    row = await s.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"{label} {row_id} not found")
    return row
