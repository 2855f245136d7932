"""text and scan extraction: fields read per document, corrections, vendor hints

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN: a batch rebuild on SQLite would drop the file-immutability trigger.
    op.add_column("intake_documents", sa.Column("fields", sa.Text(), nullable=True))
    op.add_column("intake_documents", sa.Column("corrections", sa.Text(), server_default="{}",
                                                nullable=False))
    op.create_table(
        "extraction_hints",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=255), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("hint", sa.String(length=255), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_extraction_hints_entity_id_entities")),
        sa.ForeignKeyConstraint(["document_id"], ["intake_documents.id"],
                                name=op.f("fk_extraction_hints_document_id_intake_documents")),
        sa.PrimaryKeyConstraint("entity_id", "vendor", "field",
                                name=op.f("pk_extraction_hints")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("extraction_hints")
    op.drop_column("intake_documents", "corrections")
    op.drop_column("intake_documents", "fields")
