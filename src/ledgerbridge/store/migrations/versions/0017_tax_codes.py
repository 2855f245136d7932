"""tax codes: on journal lines, mined categorization rules and corrections

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_TABLES = ("journal_lines", "categorization_rules", "categorization_corrections")


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN: a batch rebuild on SQLite would drop the immutability triggers.
    # Rows written before keep NULL: nothing is backfilled.
    for table in _TABLES:
        op.add_column(table, sa.Column("tax_code", sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    for table in reversed(_TABLES):
        op.drop_column(table, "tax_code")
