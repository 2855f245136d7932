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
    SmallInteger,
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
    "anomaly_flags",
    "anomaly_outflows",
    "api_tokens",
    "bank_imports",
    "bank_lines",
    "categorization_corrections",
    "categorization_models",
    "categorization_rules",
    "connections",
    "contact_aliases",
    "contact_merges",
    "contacts",
    "dashboard_secrets",
    "dashboard_users",
    "documents",
    "entities",
    "extraction_hints",
    "inbox",
    "journal_entries",
    "journal_lines",
    "metadata",
    "monthly_balances",
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
    Column("tax_code", Text),  # our tax code (docs/ledger.md), on taxed lines only
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
    # what the payer sent, when the bank converted it (camt InstdAmt, OFX ORIGCURRENCY)
    Column("original_amount", BigInteger),
    Column("original_currency", String(3)),
    Column("exchange_rate", DecimalText),
    # the merchant category code (ISO 18245; OFX SIC) and a feed's own category (Plaid)
    Column("mcc", String(4)),
    Column("category_code", String(64)),
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
    Column("original_amount", BigInteger),  # of the journal line's own currency
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
    # Text and scanned documents: each field read, its confidence and source (JSON), and
    # the user's corrections, which win over what was read.
    Column("fields", Text),
    Column("corrections", Text, nullable=False, server_default="{}"),
    # Coding and approval: the vendor's canonical contact (contacts.id), each line's
    # account with where it came from (JSON), who approved and who posted, and when.
    Column("contact_id", Integer),
    Column("coding", Text),
    Column("approved_by", String(64)),
    Column("approved_at", DateTime(timezone=True)),
    Column("posted_by", String(64)),
    Column("posted_at", DateTime(timezone=True)),
    UniqueConstraint("entity_id", "sha256"),
    Index("ix_intake_documents_entity_status", "entity_id", "status"),
)

# What a user's correction taught us about a vendor's documents: per field, the label
# printed before the value (or, for the vendor's name, the name itself).
extraction_hints = Table(
    "extraction_hints",
    metadata,
    Column("entity_id", ForeignKey("entities.id"), primary_key=True),
    Column("vendor", String(255), primary_key=True),
    Column("field", String(32), primary_key=True),
    Column("hint", String(255), nullable=False),
    Column("document_id", ForeignKey("intake_documents.id"), nullable=False),
    Column("learned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Receipt files tied to card transactions: status "matched" (the file is the card
# line's evidence; previous_status is the file's status to go back to on undo) or
# "review" (one of several equally good pairings a person picks from).
receipt_matches = Table(
    "receipt_matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("document_id", ForeignKey("intake_documents.id"), nullable=False),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("transaction_id", String(255), nullable=False),
    Column("status", String(8), nullable=False),
    Column("previous_status", String(16)),
    Column("score", Integer),
    Column("reason", Text),
    Column("matched_by", String(64)),
    Column("matched_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("document_id", "connection_id", "transaction_id",
                     name="uq_receipt_matches_pair"),
    Index("ix_receipt_matches_line", "connection_id", "transaction_id", "status"),
)

# The laid-out words of a text PDF or scan (JSON), by file hash: a correction reads
# the fields again from them instead of running OCR again.
document_layouts = Table(
    "document_layouts",
    metadata,
    Column("entity_id", ForeignKey("entities.id"), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("pages", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# -- period balances ------------------------------------------------------------------

# The net of journal_lines.amount per entity, account and month (``month`` is the
# month's first day), kept in the posting's own transaction: reports read whole
# months here and only the days of a partial first or last month from journal_lines.
monthly_balances = Table(
    "monthly_balances",
    metadata,
    Column("entity_id", ForeignKey("entities.id"), primary_key=True),
    Column("account_id", ForeignKey("accounts.id"), primary_key=True),
    Column("month", Date, primary_key=True),
    # Concurrent posters write different shards; an account-month is their sum.
    Column("shard", SmallInteger, primary_key=True),
    Column("amount", BigInteger, nullable=False),
)

# -- anomalies ---------------------------------------------------------------------------

anomaly_flags = Table(
    "anomaly_flags",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    # What the flag is about (kind + the records), so a re-detection finds its dismissal.
    Column("fingerprint", String(64), nullable=False),
    Column("score", Integer, nullable=False),  # percent: 0-100
    Column("reason", Text, nullable=False),
    Column("records", Text, nullable=False),  # JSON list of record keys
    Column("amount", BigInteger),
    Column("currency", String(3)),
    Column("status", String(16), nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("dismissed_at", DateTime(timezone=True)),
    Column("dismissed_by", String(64)),
    UniqueConstraint("entity_id", "fingerprint", name="uq_anomaly_flags_fingerprint"),
    Index("ix_anomaly_flags_entity_status", "entity_id", "status"),
)

anomaly_outflows = Table(
    "anomaly_outflows",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("key", String(512), nullable=False),  # "bill:qbo/145", "bank_line:7"
    Column("kind", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("vendor", String(200), nullable=False),
    Column("vendor_name", String(255), nullable=False),
    Column("number", String(255)),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("date", Date, nullable=False),
    Column("account", String(64)),
    UniqueConstraint("entity_id", "key", name="uq_anomaly_outflows_key"),
    Index("ix_anomaly_outflows_vendor", "entity_id", "vendor", "number"),
    Index("ix_anomaly_outflows_amount", "entity_id", "amount", "date"),
)

# -- pilot (parallel run) --------------------------------------------------------------

pilots = Table(
    "pilots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("live_entity_id", ForeignKey("entities.id"), nullable=False),
    Column("shadow_entity_id", ForeignKey("entities.id"), nullable=False, unique=True),
    Column("status", String(16), nullable=False),  # running, promoted
    Column("mapping", Text),  # the connection's own mapping, restored at cutover
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("started_by", String(64), nullable=False),
    Column("cutover_at", DateTime(timezone=True)),
    Column("cutover_by", String(64)),
    Column("existing", String(16)),  # how entries the live book already had were treated
    Column("promoted", Integer),
    Index("ix_pilots_connection_status", "connection_id", "status"),
)

pilot_promotions = Table(
    "pilot_promotions",
    metadata,
    Column("shadow_entry_id", ForeignKey("journal_entries.id"), primary_key=True),
    Column("pilot_id", ForeignKey("pilots.id"), nullable=False, index=True),
    # Unique: a live entry comes from one shadow entry, so each is promoted once.
    Column("live_entry_id", ForeignKey("journal_entries.id"), nullable=False, unique=True),
)

# -- unified accounting API ---------------------------------------------------------------

unified_links = Table(
    "unified_links",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    # The ledger record (first version row of a document) and its copy in a package.
    Column("document_id", ForeignKey("documents.id"), nullable=False),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("remote_id", String(255), nullable=False),
    Column("remote_version", String(64), nullable=False),
    Column("local_version", String(64), nullable=False),
    Column("synced_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("connection_id", "kind", "remote_id", name="uq_unified_links_remote"),
    UniqueConstraint("connection_id", "document_id", name="uq_unified_links_document"),
)

target_bill_payments = Table(
    "target_bill_payments",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    # One settlement of a ledger bill (first version row), paid on its copy in a package.
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("bill_id", ForeignKey("documents.id"), nullable=False),
    Column("settlement", String(160), nullable=False),  # r<reconciliation> | p<payment>
    Column("date", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),  # minor units of the bill's currency
    Column("currency", String(3), nullable=False),
    Column("account", String(64), nullable=False),  # our account the money left from
    Column("status", String(8), nullable=False),  # pending | pushed | undone
    Column("remote_id", String(255)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("leased_until", DateTime(timezone=True)),  # a run is writing it until then
    UniqueConstraint("connection_id", "bill_id", "settlement",
                     name="uq_target_bill_payments_settlement"),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("secret", Text, nullable=False),
    Column("kinds", Text, nullable=False),  # JSON list of API kinds
    Column("active", Boolean, nullable=False, server_default="1"),
    # Change feed position: the last documents row announced to this subscriber.
    Column("last_document_id", BigInteger, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("subscription_id", ForeignKey("webhook_subscriptions.id"), nullable=False),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_webhook_deliveries_status_due", "status", "next_attempt_at"),
)

# -- categorization -----------------------------------------------------------------------

categorization_models = Table(
    "categorization_models",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("trained_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("fingerprint", String(64), nullable=False),  # sha256 of the training set
    Column("examples", Integer, nullable=False),
    Column("metrics", Text, nullable=False, server_default="{}"),
    Column("model", LargeBinary, nullable=False),  # joblib bytes, read only from here
    UniqueConstraint("entity_id", "version", name="uq_categorization_models_version"),
)

categorization_rules = Table(
    "categorization_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("field", String(16), nullable=False),  # description | counterparty
    Column("contains", String(200), nullable=False),
    Column("account", String(64), nullable=False),
    Column("vendor", String(200)),
    Column("status", String(16), nullable=False),  # proposed | accepted | rejected
    Column("support", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decided_at", DateTime(timezone=True)),
    Column("tax_code", Text),
    UniqueConstraint("entity_id", "field", "contains", name="uq_categorization_rules_text"),
)

categorization_corrections = Table(
    "categorization_corrections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("bank_line_id", ForeignKey("bank_lines.id"), nullable=False, index=True),
    Column("account", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("tax_code", Text),  # None: the correction set no tax code
)

# -- canonical contacts (entity resolution) ----------------------------------------------

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),  # undone merges retire it
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

contact_merges = Table(
    "contact_merges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("status", String(16), nullable=False),  # proposed, accepted, undone
    Column("confidence", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("reasons", Text, nullable=False, server_default="[]"),
    Column("members", Text, nullable=False),  # JSON: [{"record": "crm:7", "name": ...}]
    Column("contact_id", ForeignKey("contacts.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decided_at", DateTime(timezone=True)),
    Index("ix_contact_merges_entity_status", "entity_id", "status"),
)

contact_aliases = Table(
    "contact_aliases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False, index=True),
    Column("merge_id", ForeignKey("contact_merges.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # record ("crm:7") or name (a core name)
    Column("value", String(320), nullable=False),
    UniqueConstraint("entity_id", "kind", "value", name="uq_contact_aliases_value"),
)

# -- push targets (summary and detail journals pushed to accounting packages) -------------

target_pushes = Table(
    "target_pushes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", ForeignKey("entities.id"), nullable=False),
    Column("connection", String(64), nullable=False),  # the target connection's name
    Column("mode", String(8), nullable=False),  # detail | daily | payout
    Column("group_key", String(255), nullable=False),  # entry id, day or payout id
    Column("date", Date, nullable=False),
    Column("memo", Text, nullable=False),
    Column("status", String(8), nullable=False),  # pending | pushed | empty
    Column("package_id", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("pushed_at", DateTime(timezone=True)),
    Index("ix_target_pushes_group", "connection", "mode", "group_key"),
)

target_push_entries = Table(
    "target_push_entries",
    metadata,
    Column("connection", String(64), primary_key=True),
    Column("entry_id", ForeignKey("journal_entries.id"), primary_key=True),
    Column("push_id", ForeignKey("target_pushes.id"), nullable=False, index=True),
)
