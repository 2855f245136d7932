"""document approval and coding: the vendor's contact, each line's account, who approved and posted

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("contact_id", sa.Integer()),
    ("coding", sa.Text()),
    ("approved_by", sa.String(length=64)),
    ("approved_at", sa.DateTime(timezone=True)),
    ("posted_by", sa.String(length=64)),
    ("posted_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN: a batch rebuild on SQLite would drop the file-immutability trigger.
    for name, type_ in _COLUMNS:
        op.add_column("intake_documents", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    for name, _ in reversed(_COLUMNS):
        op.drop_column("intake_documents", name)
