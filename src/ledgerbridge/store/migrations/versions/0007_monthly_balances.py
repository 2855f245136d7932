"""monthly balances

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The first day of a line's month, as each database stores a DATE.
MONTH_OF_DATE = {
    "postgresql": "CAST(date_trunc('month', date) AS DATE)",
    "sqlite": "date(date, 'start of month')",
}


def upgrade() -> None:
    """Create monthly_balances and fill it from the journal lines already posted."""
    op.create_table(
        "monthly_balances",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_monthly_balances_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_monthly_balances_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("entity_id", "account_id", "month", "shard",
                                name=op.f("pk_monthly_balances")),
    )
    month = MONTH_OF_DATE[op.get_bind().dialect.name]
    op.execute(
        "INSERT INTO monthly_balances (entity_id, account_id, month, shard, amount) "
        f"SELECT entity_id, account_id, {month}, 0, SUM(amount) FROM journal_lines "
        f"GROUP BY entity_id, account_id, {month}"
    )


def downgrade() -> None:
    """Drop monthly_balances."""
    op.drop_table("monthly_balances")
