"""Campaigns, their entries (one number to call) and attempts (one try at calling an entry).

An attempt names the call it became (pbx + call_id, the Asterisk Linkedid; call_record_id once the
call record exists), so the outcome, the agent's disposition and anything made on the call meet there.
Numbers never to call live in `do_not_call` (crm_core/callbacks/models.py), shared with callbacks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models import Base, UTCDateTime, utcnow


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(16), default="follow_up")  # follow_up|sales|survey|reminder
    script: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    mode: Mapped[str] = mapped_column(String(16), default="preview")  # preview | progressive
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|running|paused|stopped
    window_start: Mapped[str] = mapped_column(String(5), default="09:00")  # customer's local time
    window_end: Mapped[str] = mapped_column(String(5), default="20:00")
    window_days: Mapped[str] = mapped_column(String(16), default="1,2,3,4,5")  # ISO weekdays
    # Minutes before calling again after each outcome; NULL: never again.
    retry_no_answer: Mapped[int | None] = mapped_column(Integer)
    retry_busy: Mapped[int | None] = mapped_column(Integer)
    retry_voicemail: Mapped[int | None] = mapped_column(Integer)
    retry_wrong_number: Mapped[int | None] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    caller_id: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CampaignEntry(Base):
    """One number of a campaign's list; reserved_by/until hold it for one agent or the dialer."""

    __tablename__ = "campaign_entries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number", name="uq_campaign_entries_campaign_number"),
        Index("ix_campaign_entries_due", "campaign_id", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))  # E.164
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    reserved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CampaignAttempt(Base):
    """One try at an entry: reserved, dialed (or skipped), then an outcome."""

    __tablename__ = "campaign_attempts"
    __table_args__ = (
        Index("ix_campaign_attempts_call", "pbx", "call_id"),
        Index("ix_campaign_attempts_answered", "campaign_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("campaign_entries.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    mode: Mapped[str] = mapped_column(String(16))  # preview | progressive
    status: Mapped[str] = mapped_column(String(16), default="reserved")  # reserved|dialing|connected|closed
    outcome: Mapped[str | None] = mapped_column(String(16))  # answered|no_answer|busy|failed|voicemail|...
    skip_reason: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    pbx: Mapped[str | None] = mapped_column(String(64))
    call_id: Mapped[str | None] = mapped_column(String(64))  # Linkedid of the call, or the originate id
    call_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_records.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dialed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
