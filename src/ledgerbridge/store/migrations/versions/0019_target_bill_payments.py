"""bill payments pushed to accounting targets

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Each settlement of a ledger bill written to a package as a payment of its copy."""
    op.create_table(
        "target_bill_payments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("connection_id", sa.Integer(), sa.ForeignKey("connections.id"),
                  nullable=False),
        sa.Column("bill_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("settlement", sa.String(160), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("remote_id", sa.String(255)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("leased_until", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("connection_id", "bill_id", "settlement",
                            name="uq_target_bill_payments_settlement"),
    )


def downgrade() -> None:
    """Drop the bill payments table."""
    op.drop_table("target_bill_payments")
