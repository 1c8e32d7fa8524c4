"""Recordings and their muted spans; IVR results on call records (language, route reason, survey); user teams

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 23:54:22.796299
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("pbx", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("call_record_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=512), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_detail", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_record_id"],
            ["call_records.id"],
            name=op.f("fk_recordings_call_record_id_call_records"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_recordings_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("pbx", "call_id", name="uq_recordings_pbx_call"),
        sa.UniqueConstraint("public_id", name=op.f("uq_recordings_public_id")),
    )
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recordings_call_record_id"), ["call_record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recordings_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_recordings_status_retention", ["status", "retain_until"], unique=False)

    op.create_table(
        "recording_mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("muted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("muted_by", sa.Integer(), nullable=True),
        sa.Column("resumed_by", sa.Integer(), nullable=True),
        sa.Column("auto_resumed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["muted_by"], ["users.id"], name=op.f("fk_recording_mutes_muted_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_recording_mutes_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resumed_by"],
            ["users.id"],
            name=op.f("fk_recording_mutes_resumed_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_mutes")),
    )
    with op.batch_alter_table("recording_mutes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recording_mutes_recording_id"), ["recording_id"], unique=False)

    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("route_reason", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("survey_score", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("survey_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_team"), ["team"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_team"))
        batch_op.drop_column("team")

    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_column("survey_at")
        batch_op.drop_column("survey_score")
        batch_op.drop_column("route_reason")
        batch_op.drop_column("language")

    with op.batch_alter_table("recording_mutes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_mutes_recording_id"))

    op.drop_table("recording_mutes")
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_index("ix_recordings_status_retention")
        batch_op.drop_index(batch_op.f("ix_recordings_customer_id"))
        batch_op.drop_index(batch_op.f("ix_recordings_call_record_id"))

    op.drop_table("recordings")
