"""SQLAlchemy Core tables: the one schema that Alembic migrations build.

Amounts are ``BigInteger`` minor units; exchange rates are exact decimal text
(SQLite's NUMERIC would round-trip them through float). Journal rows carry the
entity and date of their entry so reports aggregate lines without a join.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "DecimalText",
    "accounts",
    "api_tokens",
    "bank_imports",
    "bank_lines",
    "connections",
    "dashboard_secrets",
    "dashboard_users",
    "documents",
    "entities",
    "inbox",
    "journal_entries",
    "journal_lines",
    "metadata",
    "outbox",
    "periods",
    "reconciliation_links",
    "reconciliations",
    "stream_state",
    "sync_log",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored as its exact text."""

    impl = String(48)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        """Store the exact decimal text."""
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        """Read the text back as a Decimal."""
        return None if value is None else Decimal(value)


entities = Table(
    "entities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("functional_currency", String(3), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("subtype", String(32)),
    Column("parent_id", ForeignKey("accounts.id")),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("description", Text),
    UniqueConstraint("entity_id", "code", name="uq_accounts_entity_code"),
)

periods = Table(
    "periods",
    metadata,
    Column("entity_id", ForeignKey("entities.id"), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("status", String(8), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("date", Date, nullable=False),
    Column("memo", Text, nullable=False, server_default=""),
    Column("posted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("reverses_id", ForeignKey("journal_entries.id"), unique=True),
    Column("idempotency_key", String(255)),
    # lineage: where the entry came from
    Column("connection", String(128)),
    Column("object_type", String(64)),
    Column("external_id", String(255)),
    Column("document_id", String(64)),
    Column("raw_payload_id", String(64)),
    UniqueConstraint("entity_id", "idempotency_key", name="uq_journal_entries_idempotency"),
    Index("ix_journal_entries_entity_date", "entity_id", "date"),
    Index("ix_journal_entries_source", "connection", "object_type", "external_id"),
)

journal_lines = Table(
    "journal_lines",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("entry_id", ForeignKey("journal_entries.id"), nullable=False, index=True),
    Column("entity_id", Integer, nullable=False),
    Column("date", Date, nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("original_amount", BigInteger, nullable=False),
    Column("rate", DecimalText),
    Column("memo", Text),
    Column("party", String(200)),
    Column("due_date", Date),
    # Covering: balances and account ledgers read amounts from the index alone.
    Index("ix_journal_lines_balance", "entity_id", "account_id", "date", "amount"),
)

# -- sync engine ------------------------------------------------------------------

connections = Table(
    "connections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("system", String(64), nullable=False),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("settings", Text, nullable=False, server_default="{}"),
    Column("secrets", Text, nullable=False, server_default="{}"),
    Column("mapping", Text),
    Column("poll_interval", Integer),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

inbox = Table(
    "inbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("event_id", String(255)),
    Column("object_type", String(64)),
    Column("object_id", String(255)),
    Column("object_version", String(64)),
    Column("headers", Text, nullable=False, server_default="{}"),
    Column("body", LargeBinary, nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("depends_on", String(255)),
    Column("last_error", Text),
    Column("processed_at", DateTime(timezone=True)),
    UniqueConstraint("connection_id", "event_id", name="uq_inbox_event"),
    UniqueConstraint("connection_id", "object_type", "object_id", "object_version",
                     name="uq_inbox_object_version"),
    Index("ix_inbox_status_due", "status", "next_attempt_at"),
    Index("ix_inbox_depends_on", "connection_id", "depends_on"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("version", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("data", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("inbox_id", ForeignKey("inbox.id")),
    Column("entry_id", ForeignKey("journal_entries.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("connection_id", "type", "external_id", "version",
                     name="uq_documents_version"),
    Index("ix_documents_current", "connection_id", "type", "external_id", "status"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("command", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("idempotency_key", String(255), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("document_id", ForeignKey("documents.id")),
    Column("entry_id", ForeignKey("journal_entries.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_outbox_status_due", "status", "next_attempt_at"),
)

stream_state = Table(
    "stream_state",
    metadata,
    Column("connection_id", ForeignKey("connections.id"), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("cursor", Text),
    Column("last_sync_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("last_error", Text),
)

sync_log = Table(
    "sync_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("connection_id", ForeignKey("connections.id")),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("details", Text),
)

# -- bank statements ------------------------------------------------------------------

bank_imports = Table(
    "bank_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("format", String(32), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("lines_read", Integer, nullable=False),
    Column("lines_added", Integer, nullable=False),
    Column("lines_updated", Integer, nullable=False),
    Column("lines_review", Integer, nullable=False),
)

bank_lines = Table(
    "bank_lines",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("import_id", ForeignKey("bank_imports.id")),
    Column("dedupe_key", String(160), nullable=False),
    Column("occurrence", Integer, nullable=False),
    Column("booking_date", Date, nullable=False),
    Column("value_date", Date),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("counterparty", String(255)),
    Column("counterparty_account", String(64)),
    Column("bank_reference", String(255)),
    Column("end_to_end_id", String(255)),
    Column("kind", String(64)),
    Column("pending", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("review_reason", Text),
    Column("raw", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("account_id", "dedupe_key", "occurrence", name="uq_bank_lines_key"),
    Index("ix_bank_lines_account_date", "account_id", "booking_date", "amount"),
)

# -- bank reconciliation ------------------------------------------------------------

reconciliations = Table(
    "reconciliations",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("confidence", Integer, nullable=False),
    Column("reasons", Text, nullable=False, server_default=""),
    Column("fee", BigInteger, nullable=False, server_default="0"),
    Column("entry_id", ForeignKey("journal_entries.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decided_at", DateTime(timezone=True)),
    Index("ix_reconciliations_account_status", "account_id", "status"),
)

reconciliation_links = Table(
    "reconciliation_links",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("reconciliation_id", ForeignKey("reconciliations.id"), nullable=False, index=True),
    Column("bank_line_id", ForeignKey("bank_lines.id"), index=True),
    Column("journal_line_id", ForeignKey("journal_lines.id"), index=True),
    Column("amount", BigInteger, nullable=False),
)

# -- dashboard ------------------------------------------------------------------------

dashboard_users = Table(
    "dashboard_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("logged_out_at", DateTime(timezone=True)),  # sessions from before are void
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("dashboard_users.id"), nullable=False, index=True),
    Column("label", String(100), nullable=False, server_default=""),
    # SHA-256 of a 256-bit random token: unguessable input needs no slow hash.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_used_at", DateTime(timezone=True)),
)

dashboard_secrets = Table(
    "dashboard_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# -- document intake --------------------------------------------------------------------

intake_documents = Table(
    "intake_documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    # The original file, addressed by its SHA-256 and never changed once stored.
    Column("sha256", String(64), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("format", String(32)),
    Column("status", String(16), nullable=False),
    Column("findings", Text, nullable=False, server_default="[]"),
    Column("document", Text),
    Column("number", String(255)),
    Column("seller", String(255)),
    Column("vendor", String(255)),  # VAT id, else legal id, else name: duplicates by number
    Column("currency", String(3)),
    Column("total", BigInteger),
    Column("entry_id", ForeignKey("journal_entries.id")),
    UniqueConstraint("entity_id", "sha256"),
    Index("ix_intake_documents_entity_status", "entity_id", "status"),
)
