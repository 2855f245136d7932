"""bank line merchant and category codes

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Lines stored before keep NULL: their raw records are kept, nothing is backfilled.
    op.add_column("bank_lines", sa.Column("mcc", sa.String(length=4), nullable=True))
    op.add_column("bank_lines", sa.Column("category_code", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("bank_lines") as batch:
        batch.drop_column("category_code")
        batch.drop_column("mcc")
