"""Outbound campaigns: campaigns, their entries (numbers to call) and attempts (each linked to its call)

Numbers never to call already have a table (do_not_call, 0003) shared with callbacks.
Only new tables and indexes: nothing existing is rebuilt, on SQLite or PostgreSQL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 01:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RETRIED = ("no_answer", "busy", "voicemail", "wrong_number")  # a retry delay column each


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _campaigns() -> None:
    minutes = [sa.Column(f"retry_{o}", sa.Integer(), nullable=True) for o in RETRIED]
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("window_start", sa.String(length=5), nullable=False),
        sa.Column("window_end", sa.String(length=5), nullable=False),
        sa.Column("window_days", sa.String(length=16), nullable=False),
        *minutes,
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("caller_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        _fk("campaigns", "team_id", "teams", "SET NULL"),
        _fk("campaigns", "created_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index(op.f("ix_campaigns_team_id"), "campaigns", ["team_id"], unique=False)


def _entries() -> None:
    op.create_table(
        "campaign_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("next_attempt_at"),
        sa.Column("last_outcome", sa.String(length=16), nullable=True),
        sa.Column("reserved_by", sa.Integer(), nullable=True),
        _at("reserved_until"),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        _fk("campaign_entries", "campaign_id", "campaigns", "CASCADE"),
        _fk("campaign_entries", "customer_id", "customers", "SET NULL"),
        _fk("campaign_entries", "reserved_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_entries")),
        sa.UniqueConstraint("campaign_id", "number", name="uq_campaign_entries_campaign_number"),
    )
    op.create_index(
        "ix_campaign_entries_due", "campaign_entries", ["campaign_id", "status", "next_attempt_at"]
    )
    op.create_index(op.f("ix_campaign_entries_customer_id"), "campaign_entries", ["customer_id"])


def _attempts() -> None:
    op.create_table(
        "campaign_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("skip_reason", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("pbx", sa.String(length=64), nullable=True),
        sa.Column("call_id", sa.String(length=64), nullable=True),
        sa.Column("call_record_id", sa.Integer(), nullable=True),
        _at("created_at", nullable=False),
        _at("dialed_at"),
        _at("answered_at"),
        _at("ended_at"),
        _fk("campaign_attempts", "campaign_id", "campaigns", "CASCADE"),
        _fk("campaign_attempts", "entry_id", "campaign_entries", "CASCADE"),
        _fk("campaign_attempts", "agent_id", "users", "SET NULL"),
        _fk("campaign_attempts", "call_record_id", "call_records", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_attempts")),
    )
    op.create_index(op.f("ix_campaign_attempts_entry_id"), "campaign_attempts", ["entry_id"])
    op.create_index(op.f("ix_campaign_attempts_agent_id"), "campaign_attempts", ["agent_id"])
    op.create_index(op.f("ix_campaign_attempts_call_record_id"), "campaign_attempts", ["call_record_id"])
    op.create_index("ix_campaign_attempts_call", "campaign_attempts", ["pbx", "call_id"])
    op.create_index("ix_campaign_attempts_answered", "campaign_attempts", ["campaign_id", "answered_at"])


def upgrade() -> None:
    _campaigns()
    _entries()
    _attempts()


def downgrade() -> None:
    op.drop_table("campaign_attempts")  # its indexes go with it, on SQLite and PostgreSQL
    op.drop_table("campaign_entries")
    op.drop_table("campaigns")
