"""Recording metadata: one row per recorded call, and the spans muted for card data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models import Base, UTCDateTime, utcnow

# pending: expected, not ingested yet; stored: in the store and verified; missing / empty /
# unreadable: the PBX's file was not usable; failed: ingest failed (disk full, permissions);
# corrupt: a later verify found its hash changed; purged: removed by retention.
RECORDING_STATUSES = ("pending", "stored", "missing", "empty", "unreadable", "failed", "corrupt", "purged")


class Recording(Base):
    __tablename__ = "recordings"
    __table_args__ = (
        UniqueConstraint("pbx", "call_id", name="uq_recordings_pbx_call"),
        Index("ix_recordings_status_retention", "status", "retain_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # opaque id used in URLs
    pbx: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[str] = mapped_column(String(64))
    call_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_records.id", ondelete="SET NULL"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    queue: Mapped[str | None] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255), default="")  # the PBX's file name
    stored_path: Mapped[str | None] = mapped_column(String(512))  # relative to the store root
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_detail: Mapped[str] = mapped_column(String(255), default="")
    format: Mapped[str] = mapped_column(String(16), default="wav")
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    sha256: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecordingMute(Base):
    """A span the recording was muted (a caller reading out card data), as the PBX confirmed it."""

    __tablename__ = "recording_mutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), index=True)
    muted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    muted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resumed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    auto_resumed: Mapped[bool] = mapped_column(default=False)
