"""Indexes for the KPI reports: every report reads a time range of calls, seat spans and attempts

- call_records(started_at): the calls of a range (the call history lists by it too);
- seat_states(started_at): the spans begun in a range;
- seat_states(agent_id, started_at): each agent's span still running when a range begins;
- callback_attempts(at): the attempts dialled in a range.
Plain CREATE INDEX on both SQLite and PostgreSQL: no table is rebuilt.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 23:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_call_records_started_at", "call_records", ["started_at"]),
    ("ix_seat_states_started_at", "seat_states", ["started_at"]),
    ("ix_seat_states_agent_id_started", "seat_states", ["agent_id", "started_at"]),
    ("ix_callback_attempts_at", "callback_attempts", ["at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
