"""contacts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                     nullable=False)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_contacts_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index("ix_contacts_entity_id", "contacts", ["entity_id"], unique=False)
    op.create_table(
        "contact_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reasons", sa.Text(), server_default="[]", nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        _created_at(),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_contact_merges_entity_id_entities")),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name=op.f("fk_contact_merges_contact_id_contacts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_merges")),
    )
    op.create_index("ix_contact_merges_entity_status", "contact_merges",
                    ["entity_id", "status"], unique=False)
    op.create_table(
        "contact_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("merge_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_contact_aliases_entity_id_entities")),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name=op.f("fk_contact_aliases_contact_id_contacts")),
        sa.ForeignKeyConstraint(["merge_id"], ["contact_merges.id"],
                                name=op.f("fk_contact_aliases_merge_id_contact_merges")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_aliases")),
        sa.UniqueConstraint("entity_id", "kind", "value", name="uq_contact_aliases_value"),
    )
    op.create_index("ix_contact_aliases_contact_id", "contact_aliases", ["contact_id"],
                    unique=False)
    op.create_index("ix_contact_aliases_merge_id", "contact_aliases", ["merge_id"],
                    unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("contact_aliases")
    op.drop_table("contact_merges")
    op.drop_table("contacts")
