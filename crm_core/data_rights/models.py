"""The tombstone an erasure leaves: that customer N was erased, when and by whom; nothing personal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models import Base, UTCDateTime

ERASED = "(erased)"  # what a kept row shows instead of a name or subject


class Erasure(Base):
    __tablename__ = "data_erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, unique=True)  # no FK: a plain fact that outlives rows
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    counts: Mapped[Any] = mapped_column(JSON, nullable=True)  # rows anonymised per table, files removed
