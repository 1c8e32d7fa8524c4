"""Data rights: the tombstone of an erased customer (no personal data, only that it happened)

One new table, nothing existing rebuilt, on SQLite or PostgreSQL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_by", sa.Integer(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["erased_by"], ["users.id"], name=op.f("fk_data_erasures_erased_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_erasures")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_data_erasures_customer_id")),
    )


def downgrade() -> None:
    op.drop_table("data_erasures")
