"""Ledger core: entities, chart of accounts, periods, journal entries and lines.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from ledgerbridge.store.tables import DecimalText

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

IMMUTABLE = ("journal_entries", "journal_lines")
MESSAGE = "posted journal entries are immutable; post a reversal instead"


def _id():
    return sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade():
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("functional_currency", sa.String(3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_entities"),
        sa.UniqueConstraint("code", name="uq_entities_code"),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("subtype", sa.String(32)),
        sa.Column("parent_id", sa.Integer),
        sa.Column("active", sa.Boolean, nullable=False, server_default="1"),
        sa.Column("description", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name="fk_accounts_entity_id_entities"),
        sa.ForeignKeyConstraint(["parent_id"], ["accounts.id"],
                                name="fk_accounts_parent_id_accounts"),
        sa.UniqueConstraint("entity_id", "code", name="uq_accounts_entity_code"),
    )
    op.create_table(
        "periods",
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("entity_id", "period", name="pk_periods"),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name="fk_periods_entity_id_entities"),
    )
    op.create_table(
        "journal_entries",
        sa.Column("id", _id(), primary_key=True),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("memo", sa.Text, nullable=False, server_default=""),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("reverses_id", _id()),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("connection", sa.String(128)),
        sa.Column("object_type", sa.String(64)),
        sa.Column("external_id", sa.String(255)),
        sa.Column("document_id", sa.String(64)),
        sa.Column("raw_payload_id", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_journal_entries"),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"],
                                name="fk_journal_entries_entity_id_entities"),
        sa.ForeignKeyConstraint(["reverses_id"], ["journal_entries.id"],
                                name="fk_journal_entries_reverses_id_journal_entries"),
        sa.UniqueConstraint("reverses_id", name="uq_journal_entries_reverses_id"),
        sa.UniqueConstraint("entity_id", "idempotency_key",
                            name="uq_journal_entries_idempotency"),
    )
    op.create_index("ix_journal_entries_entity_date", "journal_entries", ["entity_id", "date"])
    op.create_index("ix_journal_entries_source", "journal_entries",
                    ["connection", "object_type", "external_id"])
    op.create_table(
        "journal_lines",
        sa.Column("id", _id(), primary_key=True),
        sa.Column("entry_id", _id(), nullable=False),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("original_amount", sa.BigInteger, nullable=False),
        sa.Column("rate", DecimalText()),
        sa.Column("memo", sa.Text),
        sa.Column("party", sa.String(200)),
        sa.Column("due_date", sa.Date),
        sa.PrimaryKeyConstraint("id", name="pk_journal_lines"),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"],
                                name="fk_journal_lines_entry_id_journal_entries"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name="fk_journal_lines_account_id_accounts"),
    )
    op.create_index("ix_journal_lines_entry_id", "journal_lines", ["entry_id"])
    # Covering: balances and account ledgers read amounts from the index alone.
    op.create_index("ix_journal_lines_balance", "journal_lines",
                    ["entity_id", "account_id", "date", "amount"])
    _immutable_triggers()


def _immutable_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ledgerbridge_refuse_change() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{MESSAGE}'; END $$ LANGUAGE plpgsql"
        )
        for table in IMMUTABLE:
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledgerbridge_refuse_change()"
            )
        return
    for table in IMMUTABLE:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def downgrade():
    for table in ("journal_lines", "journal_entries", "periods", "accounts", "entities"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledgerbridge_refuse_change()")
