"""receipts matched on arrival; laid-out words of read documents

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Receipt matches (and pairings held for review); laid-out words by file hash."""
    op.create_table(
        "receipt_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("previous_status", sa.String(length=16), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("matched_by", sa.String(length=64), nullable=True),
        sa.Column("matched_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_receipt_matches_entity_id_entities")),
        sa.ForeignKeyConstraint(["document_id"], ["intake_documents.id"],
                                name=op.f("fk_receipt_matches_document_id_intake_documents")),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"],
                                name=op.f("fk_receipt_matches_connection_id_connections")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_matches")),
        sa.UniqueConstraint("document_id", "connection_id", "transaction_id",
                            name="uq_receipt_matches_pair"),
    )
    op.create_index("ix_receipt_matches_line", "receipt_matches",
                    ["connection_id", "transaction_id", "status"], unique=False)
    op.create_table(
        "document_layouts",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pages", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_document_layouts_entity_id_entities")),
        sa.PrimaryKeyConstraint("entity_id", "sha256", name=op.f("pk_document_layouts")),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("document_layouts")
    op.drop_index("ix_receipt_matches_line", table_name="receipt_matches")
    op.drop_table("receipt_matches")
