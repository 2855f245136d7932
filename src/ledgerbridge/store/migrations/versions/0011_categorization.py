"""categorization

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "categorization_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.Text(), server_default="{}", nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_categorization_models_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categorization_models")),
        sa.UniqueConstraint("entity_id", "version", name="uq_categorization_models_version"),
    )
    op.create_table(
        "categorization_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("contains", sa.String(length=200), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("support", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_categorization_rules_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categorization_rules")),
        sa.UniqueConstraint("entity_id", "field", "contains",
                            name="uq_categorization_rules_text"),
    )
    op.create_table(
        "categorization_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("bank_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(["bank_line_id"], ["bank_lines.id"],
                                name=op.f("fk_categorization_corrections_bank_line_id_bank_lines")),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_categorization_corrections_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categorization_corrections")),
    )
    op.create_index(op.f("ix_categorization_corrections_bank_line_id"),
                    "categorization_corrections", ["bank_line_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_categorization_corrections_bank_line_id"),
                  table_name="categorization_corrections")
    op.drop_table("categorization_corrections")
    op.drop_table("categorization_rules")
    op.drop_table("categorization_models")
