"""Call agents (who was offered a call) and seat-state history; call record timings and disposition

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 22:54:30.463517
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seat_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pbx", sa.String(length=64), nullable=False),
        sa.Column("agent_interface", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("seat_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seat_states_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index("ix_seat_states_agent_started", ["agent_interface", "started_at"], unique=False)

    op.create_table(
        "call_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_record_id", sa.Integer(), nullable=False),
        sa.Column("agent_interface", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["call_record_id"], ["call_records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_record_id", "agent_interface", name="uq_call_agents_call_agent"),
    )
    with op.batch_alter_table("call_agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_agents_agent_id"), ["agent_id"], unique=False)

    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ring_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("hold_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("wrapup_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("transferred", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("disposition", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("disposition_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_call_records_disposition_by", "users", ["disposition_by"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_constraint("fk_call_records_disposition_by", type_="foreignkey")
        batch_op.drop_column("disposition_by")
        batch_op.drop_column("disposition")
        batch_op.drop_column("transferred")
        batch_op.drop_column("wrapup_seconds")
        batch_op.drop_column("hold_seconds")
        batch_op.drop_column("ring_seconds")
        batch_op.drop_column("offered_at")

    with op.batch_alter_table("call_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_agents_agent_id"))

    op.drop_table("call_agents")
    with op.batch_alter_table("seat_states", schema=None) as batch_op:
        batch_op.drop_index("ix_seat_states_agent_started")
        batch_op.drop_index(batch_op.f("ix_seat_states_agent_id"))

    op.drop_table("seat_states")
