"""bank line currency

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledgerbridge.store.tables import DecimalText

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Give bank lines the amount and currency the payment was made in, and the bank's rate.

    Reconciliation links keep how much of an item's own currency they settled.
    """
    op.add_column("bank_lines", sa.Column("original_amount", sa.BigInteger()))
    op.add_column("bank_lines", sa.Column("original_currency", sa.String(3)))
    op.add_column("bank_lines", sa.Column("exchange_rate", DecimalText()))
    op.add_column("reconciliation_links", sa.Column("original_amount", sa.BigInteger()))


def downgrade() -> None:
    """Drop the original amount columns."""
    with op.batch_alter_table("reconciliation_links") as batch:
        batch.drop_column("original_amount")
    with op.batch_alter_table("bank_lines") as batch:
        batch.drop_column("exchange_rate")
        batch.drop_column("original_currency")
        batch.drop_column("original_amount")
