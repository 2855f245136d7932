"""pilot

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Pilots (a connection run into a shadow book) and the entries their cutover promoted."""
    op.create_table(
        "pilots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("live_entity_id", sa.Integer(), nullable=False),
        sa.Column("shadow_entity_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("cutover_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cutover_by", sa.String(length=64), nullable=True),
        sa.Column("existing", sa.String(length=16), nullable=True),
        sa.Column("promoted", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"],
                                name=op.f("fk_pilots_connection_id_connections")),
        sa.ForeignKeyConstraint(["live_entity_id"], ["entities.id"],
                                name=op.f("fk_pilots_live_entity_id_entities")),
        sa.ForeignKeyConstraint(["shadow_entity_id"], ["entities.id"],
                                name=op.f("fk_pilots_shadow_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilots")),
        sa.UniqueConstraint("shadow_entity_id", name=op.f("uq_pilots_shadow_entity_id")),
    )
    op.create_index("ix_pilots_connection_status", "pilots", ["connection_id", "status"])
    op.create_table(
        "pilot_promotions",
        sa.Column("shadow_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("pilot_id", sa.Integer(), nullable=False),
        sa.Column("live_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.ForeignKeyConstraint(["shadow_entry_id"], ["journal_entries.id"],
                                name=op.f("fk_pilot_promotions_shadow_entry_id_journal_entries")),
        sa.ForeignKeyConstraint(["pilot_id"], ["pilots.id"],
                                name=op.f("fk_pilot_promotions_pilot_id_pilots")),
        sa.ForeignKeyConstraint(["live_entry_id"], ["journal_entries.id"],
                                name=op.f("fk_pilot_promotions_live_entry_id_journal_entries")),
        sa.PrimaryKeyConstraint("shadow_entry_id", name=op.f("pk_pilot_promotions")),
        sa.UniqueConstraint("live_entry_id", name=op.f("uq_pilot_promotions_live_entry_id")),
    )
    op.create_index("ix_pilot_promotions_pilot_id", "pilot_promotions", ["pilot_id"])


def downgrade() -> None:
    """Drop the pilot tables."""
    op.drop_index("ix_pilot_promotions_pilot_id", table_name="pilot_promotions")
    op.drop_table("pilot_promotions")
    op.drop_index("ix_pilots_connection_status", table_name="pilots")
    op.drop_table("pilots")
