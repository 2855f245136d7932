"""anomalies

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "anomaly_flags",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("records", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_anomaly_flags_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anomaly_flags")),
        sa.UniqueConstraint("entity_id", "fingerprint", name="uq_anomaly_flags_fingerprint"),
    )
    op.create_index("ix_anomaly_flags_entity_status", "anomaly_flags", ["entity_id", "status"])
    op.create_table(
        "anomaly_outflows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("vendor_name", sa.String(length=255), nullable=False),
        sa.Column("number", sa.String(length=255), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name=op.f("fk_anomaly_outflows_entity_id_entities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anomaly_outflows")),
        sa.UniqueConstraint("entity_id", "key", name="uq_anomaly_outflows_key"),
    )
    op.create_index("ix_anomaly_outflows_vendor", "anomaly_outflows",
                    ["entity_id", "vendor", "number"])
    op.create_index("ix_anomaly_outflows_amount", "anomaly_outflows",
                    ["entity_id", "amount", "date"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_anomaly_outflows_amount", table_name="anomaly_outflows")
    op.drop_index("ix_anomaly_outflows_vendor", table_name="anomaly_outflows")
    op.drop_table("anomaly_outflows")
    op.drop_index("ix_anomaly_flags_entity_status", table_name="anomaly_flags")
    op.drop_table("anomaly_flags")
