"""The relational model: agents and users, customers and their numbers, call records, web sessions.

Times are stored as timezone-aware UTC; phone numbers as E.164 (see phones.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """DateTime that always comes back timezone-aware UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Named constraints, so migrations can drop or alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class User(Base):
    """A person who logs in: agent, supervisor or administrator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    display_name: Mapped[str] = mapped_column(String(128))
    # The Asterisk queue member interface the agent answers on, e.g. "Local/1001@agents/n" or "PJSIP/1001".
    interface: Mapped[str | None] = mapped_column(String(128), unique=True)
    extension: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    team: Mapped[str | None] = mapped_column(String(64), index=True)  # supervisors see their team's calls
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="person")  # person | company
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A contact is a person customer linked to the company customer it works for.
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    value_segment: Mapped[str] = mapped_column(String(32), default="")
    region: Mapped[str] = mapped_column(String(64), default="")
    industry: Mapped[str] = mapped_column(String(64), default="")
    # NULL owner: the shared pool, any agent may claim the customer.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # in the recycle bin since
    deleted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerPhone.id"
    )


class CustomerPhone(Base):
    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("customer_id", "e164", name="uq_customer_phones_customer_e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(32), index=True)
    label: Mapped[str] = mapped_column(String(32), default="")

    customer: Mapped[Customer] = relationship(back_populates="phones")


class CallRecord(Base):
    """One conversation as the call center saw it, keyed by PBX + Asterisk Linkedid."""

    __tablename__ = "call_records"
    __table_args__ = (
        UniqueConstraint("pbx", "call_id", name="uq_call_records_pbx_call"),
        Index("ix_call_records_customer_started", "customer_id", "started_at"),
        Index("ix_call_records_started_at", "started_at"),  # ranges: reports, call history (0007)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    caller_number: Mapped[str] = mapped_column(String(32), default="", index=True)
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    queue: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    agent_interface: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|ringing|answered|ended
    outcome: Mapped[str | None] = mapped_column(String(16))  # answered | abandoned
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    abandon_position: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ring_seconds: Mapped[float | None] = mapped_column(Float)
    hold_seconds: Mapped[float | None] = mapped_column(Float)
    wrapup_seconds: Mapped[float | None] = mapped_column(Float)
    transferred: Mapped[bool] = mapped_column(default=False)
    disposition: Mapped[str | None] = mapped_column(String(64))
    disposition_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # From the IVR: the caller's language, why the call was routed as it was, and the survey.
    language: Mapped[str | None] = mapped_column(String(8))
    route_reason: Mapped[str | None] = mapped_column(String(64))
    survey_score: Mapped[int | None] = mapped_column(Integer)
    survey_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agents: Mapped[list[CallAgent]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallAgent.id"
    )


class CallAgent(Base):
    """An agent a call was offered to, and whether they took it: the 'agents involved'."""

    __tablename__ = "call_agents"
    __table_args__ = (
        UniqueConstraint("call_record_id", "agent_interface", name="uq_call_agents_call_agent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_record_id: Mapped[int] = mapped_column(ForeignKey("call_records.id", ondelete="CASCADE"))
    agent_interface: Mapped[str] = mapped_column(String(128))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(String(24), default="offered")  # offered|answered|no_answer|withdrawn
    reason: Mapped[str] = mapped_column(String(24), default="queue")  # why it came: queue|transfer|...

    call: Mapped[CallRecord] = relationship(back_populates="agents")


class SeatState(Base):
    """One span of an agent's seat state: the history occupancy and pause KPIs are computed from."""

    __tablename__ = "seat_states"
    __table_args__ = (
        Index("ix_seat_states_agent_started", "agent_interface", "started_at"),
        Index("ix_seat_states_started_at", "started_at"),  # KPI ranges (0007)
        Index("ix_seat_states_agent_id_started", "agent_id", "started_at"),  # span running at a time
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pbx: Mapped[str] = mapped_column(String(64))
    agent_interface: Mapped[str] = mapped_column(String(128))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A logged-in browser; the cookie holds a random token, the table only its hash."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


from crm_core.admin import models as _admin  # noqa: E402,F401  (register tables)
from crm_core.audit import models as _audit  # noqa: E402,F401  (register tables)
from crm_core.callbacks import models as _callbacks  # noqa: E402,F401  (register tables)
from crm_core.campaigns import models as _campaigns  # noqa: E402,F401  (register tables)
from crm_core.contacts import models as _contacts  # noqa: E402,F401  (register tables)
from crm_core.data_rights import models as _data_rights  # noqa: E402,F401  (register tables)
from crm_core.kb import models as _kb  # noqa: E402,F401  (register tables)
from crm_core.recording import models as _recording  # noqa: E402,F401  (register tables)
from crm_core.tickets import models as _tickets  # noqa: E402,F401  (register tables)
