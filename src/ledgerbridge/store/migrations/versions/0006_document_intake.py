"""document intake

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "a stored document file is never changed"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "intake_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("format", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.Text(), server_default="[]", nullable=False),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("number", sa.String(length=255), nullable=True),
        sa.Column("seller", sa.String(length=255), nullable=True),
        sa.Column("vendor", sa.String(length=255), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_intake_documents_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_intake_documents_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_documents")),
        sa.UniqueConstraint("entity_id", "sha256", name=op.f("uq_intake_documents_entity_id")),
    )
    op.create_index(
        "ix_intake_documents_entity_status",
        "intake_documents",
        ["entity_id", "status"],
        unique=False,
    )
    _file_immutable_trigger()


def _file_immutable_trigger() -> None:
    """Refuse, in the database, any update of a stored file's bytes or hash."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ledgerbridge_refuse_file_change() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{MESSAGE}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER intake_documents_file_immutable BEFORE UPDATE OF content, sha256 "
            "ON intake_documents FOR EACH ROW EXECUTE FUNCTION ledgerbridge_refuse_file_change()"
        )
        return
    op.execute(
        "CREATE TRIGGER intake_documents_file_immutable BEFORE UPDATE OF content, sha256 "
        f"ON intake_documents BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_intake_documents_entity_status", table_name="intake_documents")
    op.drop_table("intake_documents")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledgerbridge_refuse_file_change()")
