"""Administration: teams, skills and user skills, queue memberships, dispositions, pause reasons

Teams already named on users (users.team, 0004) become rows of the new teams table, so
an existing installation's teams show up in the administration at once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 22:41:30.524713
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _code_list(name: str) -> None:
    """dispositions and pause_reasons share one shape: a code, two labels, active, order."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label_zh", sa.String(length=128), nullable=False),
        sa.Column("label_en", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("code", name=op.f(f"uq_{name}_code")),
    )


def _named(name: str, *extra: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("name", name=op.f(f"uq_{name}_name")),
    )


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    _code_list("dispositions")
    _code_list("pause_reasons")
    _named("skills")
    _named("teams", sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_table(
        "queue_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("pbx", sa.String(length=64), nullable=False),
        sa.Column("penalty", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("queue_memberships"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_memberships")),
        sa.UniqueConstraint("user_id", "queue", "pbx", name="uq_queue_memberships_user_queue_pbx"),
    )
    with op.batch_alter_table("queue_memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queue_memberships_queue"), ["queue"], unique=False)
        batch_op.create_index(batch_op.f("ix_queue_memberships_user_id"), ["user_id"], unique=False)

    op.create_table(
        "user_skills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_user_skills_skill_id_skills"), ondelete="CASCADE"
        ),
        _user_fk("user_skills"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_skills")),
        sa.UniqueConstraint("user_id", "skill_id", name="uq_user_skills_user_skill"),
    )
    with op.batch_alter_table("user_skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_skills_skill_id"), ["skill_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_user_skills_user_id"), ["user_id"], unique=False)

    op.get_bind().execute(
        sa.text(
            "INSERT INTO teams (name, label, created_at) SELECT DISTINCT team, team, :now FROM users "
            "WHERE team IS NOT NULL AND team <> ''"
        ).bindparams(sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True)))
    )


def downgrade() -> None:
    with op.batch_alter_table("user_skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_skills_user_id"))
        batch_op.drop_index(batch_op.f("ix_user_skills_skill_id"))
    op.drop_table("user_skills")
    with op.batch_alter_table("queue_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_memberships_user_id"))
        batch_op.drop_index(batch_op.f("ix_queue_memberships_queue"))
    op.drop_table("queue_memberships")
    op.drop_table("teams")
    op.drop_table("skills")
    op.drop_table("pause_reasons")
    op.drop_table("dispositions")
