"""Callbacks and customer notes linked to the call they were made on (call_record_id)

Service requests have carried call_record_id since 0003; a callback or a note made from the
pop-up now names its call too. SQLite rebuilds each table by copy (batch mode) so the foreign
key is a named table constraint like every other; with foreign keys enforced, dropping the old
`callbacks` copy would cascade-delete its callback_attempts, so they are kept aside and put back.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:12:00.000000
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("callbacks", "customer_notes")
CHILDREN = {"callbacks": ("callback_attempts",), "customer_notes": ()}  # rows ON DELETE CASCADE


def _rebuilt(table: str, change: Callable[[Any], None]) -> None:
    """Apply change to table in batch mode, keeping the rows of the tables that reference it."""
    copying = op.get_bind().dialect.name == "sqlite"  # elsewhere batch mode is plain ALTER TABLE
    kept = CHILDREN[table] if copying else ()
    for child in kept:
        op.execute(f"CREATE TEMP TABLE _kept_{child} AS SELECT * FROM {child}")
    with op.batch_alter_table(table, schema=None) as batch_op:
        change(batch_op)
    for child in kept:
        op.execute(
            f"INSERT INTO {child} SELECT * FROM _kept_{child} WHERE id NOT IN (SELECT id FROM {child})"
        )
        op.execute(f"DROP TABLE _kept_{child}")


def _add(table: str) -> Callable[[Any], None]:
    def change(batch_op: Any) -> None:
        batch_op.add_column(sa.Column("call_record_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f(f"fk_{table}_call_record_id_call_records"),
            "call_records",
            ["call_record_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f(f"ix_{table}_call_record_id"), ["call_record_id"], unique=False)

    return change


def _drop(table: str) -> Callable[[Any], None]:
    def change(batch_op: Any) -> None:
        batch_op.drop_index(batch_op.f(f"ix_{table}_call_record_id"))
        batch_op.drop_constraint(batch_op.f(f"fk_{table}_call_record_id_call_records"), type_="foreignkey")
        batch_op.drop_column("call_record_id")

    return change


def upgrade() -> None:
    for table in TABLES:
        _rebuilt(table, _add(table))


def downgrade() -> None:
    for table in reversed(TABLES):
        _rebuilt(table, _drop(table))
