"""push targets

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "target_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("connection", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("group_key", sa.String(length=255), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("package_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_target_pushes_group", "target_pushes",
                    ["connection", "mode", "group_key"])
    op.create_table(
        "target_push_entries",
        sa.Column("connection", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("push_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"]),
        sa.ForeignKeyConstraint(["push_id"], ["target_pushes.id"]),
        sa.PrimaryKeyConstraint("connection", "entry_id"),
    )
    op.create_index("ix_target_push_entries_push_id", "target_push_entries", ["push_id"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_target_push_entries_push_id", table_name="target_push_entries")
    op.drop_table("target_push_entries")
    op.drop_index("ix_target_pushes_group", table_name="target_pushes")
    op.drop_table("target_pushes")
