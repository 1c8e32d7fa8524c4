"""Administration tables: teams, skills, queue memberships, and the code lists agents pick from.

`User.team` keeps holding the team's name (other code filters on it); the teams table
gives that name a label and a place to be managed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models import Base, UTCDateTime, utcnow


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(128), default="")


class UserSkill(Base):
    """How well a user masters a skill, 1 (beginner) to 10 (expert)."""

    __tablename__ = "user_skills"
    __table_args__ = (UniqueConstraint("user_id", "skill_id", name="uq_user_skills_user_skill"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer, default=5)


class QueueMembership(Base):
    """A user answering a queue, as the CRM wants it; `state` says whether the PBX has it yet.

    state: "applied" (the PBX confirmed), "pending_add" / "pending_remove" (the PBX was not
    reachable; sent with the next change while it is). pbx "" means every PBX.
    """

    __tablename__ = "queue_memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "queue", "pbx", name="uq_queue_memberships_user_queue_pbx"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    queue: Mapped[str] = mapped_column(String(64), index=True)
    pbx: Mapped[str] = mapped_column(String(64), default="")
    penalty: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="pending_add")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class _CodeList:
    """The shape dispositions and pause reasons share: a code, a label per language, on/off, order."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    label_zh: Mapped[str] = mapped_column(String(128))
    label_en: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Disposition(_CodeList, Base):
    """A wrap-up outcome an agent chooses after a call."""

    __tablename__ = "dispositions"


class PauseReason(_CodeList, Base):
    """Why an agent is paused (break, lunch, training…): shown on the wallboard and in reports."""

    __tablename__ = "pause_reasons"
