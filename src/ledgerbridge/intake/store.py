"""The document store: every received file kept once, by content, with its outcome.

A file is addressed by its SHA-256 within an entity: adding the same bytes again,
under any name, returns the document already stored. The stored bytes are never
changed. A document with a Bill is coded (vendor contact, an account per line); a
ready one is approved by someone, once the anomaly checks hold nothing against it,
and only an approved one is posted: its Bill becomes a canonical ``bill`` document of
the entity's intake connection, applied like every synced document. A receipt tied
to a card transaction is ``matched``: evidence for that charge, never a bill.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledgerbridge.documents import Bill
from ledgerbridge.intake.assess import Assessment, Status, assess, media_type
from ledgerbridge.intake.coding import (
    LineCode,
    code_lines,
    coding_json,
    parse_coding,
    resolve_vendor,
)
from ledgerbridge.intake.connector import IntakeConnector
from ledgerbridge.intake.einvoice import Finding, vendor_key
from ledgerbridge.intake.einvoice.bill import SOURCE_CONNECTION
from ledgerbridge.intake.extract import Extraction, pages_of
from ledgerbridge.intake.extract.fields import VENDOR_NAME
from ledgerbridge.intake.extract.layout import Page
from ledgerbridge.intake.extract.memory import label_before, vendor_keys
from ledgerbridge.intake.layouts import load_layout, save_layout
from ledgerbridge.intelligence.anomalies import (
    HIGH_SCORE,
    FlagKind,
    FlagStatus,
    SavedFlag,
    list_flags,
    screen_document,
)
from ledgerbridge.intelligence.anomalies.sources import document_key
from ledgerbridge.ledger import Entry, Ledger, Lineage
from ledgerbridge.mapping import PostingRules, load_rules
from ledgerbridge.money import Money
from ledgerbridge.store.tables import (
    connections,
    documents,
    extraction_hints,
    intake_documents,
    receipt_matches,
)
from ledgerbridge.sync.apply import apply_document, make_lookup
from ledgerbridge.sync.errors import MissingDependency
from ledgerbridge.sync.outbox import enqueue

__all__ = ["Added", "IntakeError", "IntakeStore", "ReceiptLink", "StoredDocument",
           "intake_connection"]

log = logging.getLogger(__name__)

_SUMMARY = [c for c in intake_documents.c if c.name != "content"]

DUPLICATE_RULE = "LB-03"
"""The rule id of an invoice already stored from another file."""

SAME_AMOUNT_RULE = "LB-04"
"""The rule id of an invoice of the same vendor and amount a few days from another one."""

SAME_AMOUNT_DAYS = 5
"""How many days apart two invoices of one vendor and amount are taken for one."""

_REVIEW_ONLY = frozenset({DUPLICATE_RULE, SAME_AMOUNT_RULE})


class IntakeError(ValueError):
    """A request the document store refuses: unknown id, or a document not approved."""


MATCHABLE = ("ready", "flagged")
"""Statuses of a document that may be matched as a receipt: read, and not a bill in use."""


@dataclass(frozen=True, slots=True)
class ReceiptLink:
    """The card transaction a matched receipt belongs to, and who tied them when.

    Attributes:
        connection: the card connection's name.
        transaction_id: the transaction's id there.
        by: "auto" when matched on arrival, else the user.
        at: when.

    """

    connection: str
    transaction_id: str
    by: str
    at: dt.datetime

    def __str__(self) -> str:
        return f"{self.connection} transaction {self.transaction_id}"


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A stored file and its parse outcome (its bytes are read with ``IntakeStore.content``)."""

    id: int
    sha256: str
    file_name: str
    media_type: str
    size: int
    added_at: dt.datetime
    format: str | None
    status: Status
    findings: tuple[Finding, ...]
    number: str | None
    seller: str | None
    vendor: str | None
    total: Money | None
    entry_id: int | None
    document: str | None
    fields: str | None = None
    corrections: dict[str, str] = field(default_factory=dict)
    contact_id: int | None = None
    coding: tuple[LineCode, ...] = ()
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    posted_by: str | None = None
    posted_at: dt.datetime | None = None
    matched: ReceiptLink | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: outcome, coding, approval; amounts as decimal strings."""
        return {
            "id": self.id, "sha256": self.sha256, "file_name": self.file_name,
            "media_type": self.media_type, "size": self.size,
            "added_at": self.added_at.isoformat(), "format": self.format,
            "status": self.status, "number": self.number, "seller": self.seller,
            "total": self.total.text() if self.total else None,
            "currency": self.total.currency if self.total else None,
            "findings": [{"rule": f.rule, "message": f.message} for f in self.findings],
            "contact_id": self.contact_id,
            "coding": [{"line": n, "account": c.account, "source": c.source, "reason": c.reason}
                       for n, c in enumerate(self.coding, 1)],
            "approved_by": self.approved_by,
            "approved_at": self.approved_at.isoformat() if self.approved_at else None,
            "posted_by": self.posted_by, "entry_id": self.entry_id,
            "posted_at": self.posted_at.isoformat() if self.posted_at else None,
            "matched": None if self.matched is None else {
                "connection": self.matched.connection,
                "transaction_id": self.matched.transaction_id, "by": self.matched.by,
                "at": self.matched.at.isoformat()},
        }

    @property
    def only_duplicate(self) -> bool:
        """Whether its only findings say another document may be the same invoice."""
        return bool(self.findings) and {f.rule for f in self.findings} <= _REVIEW_ONLY

    @property
    def coded_bill(self) -> Bill | None:
        """The Bill with each line's account hint set from the coding.

        Lines coded from the mapping's default are left without a hint, so the
        mapping they are posted with decides.
        """
        bill = self.bill
        if bill is None or len(self.coding) != len(bill.lines):
            return bill
        lines = tuple(line if code.source == "mapping" else
                      line.model_copy(update={"account": code.account})
                      for line, code in zip(bill.lines, self.coding, strict=True))
        return bill.model_copy(update={"lines": lines})

    @property
    def bill(self) -> Bill | None:
        """The canonical Bill of a ready or posted document."""
        return Bill.model_validate_json(self.document) if self.document else None


@dataclass(frozen=True, slots=True)
class Added:
    """The outcome of adding one file: its document, and whether it was new."""

    document: StoredDocument
    new: bool


class IntakeStore:
    """Received documents of one ledger's entity, coded with ``rules`` (default: built-in)."""

    def __init__(self, ledger: Ledger, rules: PostingRules | None = None) -> None:
        self.ledger = ledger
        self.entity_id = ledger.entity.id
        self.rules = (rules or load_rules(None)).for_ledger(ledger)

    def add(self, content: bytes, name: str) -> Added:
        """Store a file unless its bytes are already stored; read and check it if new."""
        sha256 = hashlib.sha256(content).hexdigest()
        existing = self._find(sha256)
        if existing is not None:
            return Added(existing, new=False)
        values = {
            "entity_id": self.entity_id, "sha256": sha256, "file_name": name[:255],
            "media_type": media_type(content, name), "size": len(content), "content": content,
            **self._outcome(content, sha256, {}),
        }
        new = True
        try:
            with self.ledger.engine.begin() as conn:
                conn.execute(insert(intake_documents).values(**values))
        except IntegrityError:  # the same file added concurrently: one document
            new = False
        stored = self._find(sha256)
        if stored is None:
            raise IntakeError(f"file {name} was not stored")
        if new and stored.status in MATCHABLE:
            stored = self._match_on_arrival(stored)
        return Added(stored, new=new)

    def _match_on_arrival(self, stored: StoredDocument) -> StoredDocument:
        """Match a new file that may be a receipt to the open card lines of its dates.

        A failure leaves the file stored and unmatched (``receipts match`` retries).
        """
        # Card connectors use this store; importing them at module level would be circular.
        from ledgerbridge.connectors.ramp.attach import match_arrived_receipt  # noqa: PLC0415

        try:
            match_arrived_receipt(self.ledger, stored.id)
        except Exception:
            log.exception("matching document %s to card lines failed", stored.id)
        return self.get(stored.id)

    def correct(self, document_id: int, corrections: dict[str, str]) -> StoredDocument:
        """Set fields of a text or scanned document by hand, read it again, and learn.

        Each corrected field's label (or, for the vendor, the name) is remembered for
        this vendor's next documents. A posted or structured document is refused.
        """
        stored = self.get(document_id)
        if stored.status == "posted":
            raise IntakeError(f"document {document_id} is posted: reverse its entry instead")
        if stored.matched is not None:
            raise IntakeError(f"document {document_id} is the receipt of {stored.matched}: "
                              f"unlink it first (ledgerbridge receipts unlink {document_id})")
        if stored.fields is None:
            raise IntakeError(f"document {document_id} is a structured e-invoice, read exactly:"
                              " nothing to correct")
        content = self.content(document_id)
        merged = {**stored.corrections, **corrections}
        try:
            outcome = self._outcome(content, stored.sha256, merged, exclude=document_id,
                                    manual=stored.coding)
        except ValueError as exc:
            raise IntakeError(f"document {document_id}: {exc}") from None
        with self.ledger.engine.begin() as conn:
            conn.execute(update(intake_documents).where(intake_documents.c.id == document_id)
                         .values(**outcome, corrections=json.dumps(merged), approved_by=None,
                                 approved_at=None))
            read = {name: f["value"] for name, f in json.loads(stored.fields).items()}
            pages = load_layout(conn, self.entity_id, stored.sha256) or pages_of(content)
            self._learn(conn, document_id, pages, vendor_keys(read | corrections), corrections)
        return self.get(document_id)

    def _outcome(self, content: bytes, sha256: str, corrections: dict[str, str], *,
                 exclude: int | None = None,
                 manual: tuple[LineCode, ...] = ()) -> dict[str, Any]:
        """The columns that record how a file was read, judged and coded.

        ``manual`` is the document's earlier coding: the lines a user coded keep
        their accounts.
        """
        with self.ledger.engine.connect() as conn:
            known = load_layout(conn, self.entity_id, sha256)
        outcome = self._unless_duplicate(
            assess(content, sha256, buyer=self.ledger.entity.name, learned=self._hints,
                   corrections=corrections, pages=known), exclude=exclude)
        if known is None and outcome.pages:
            with self.ledger.engine.begin() as conn:
                save_layout(conn, self.entity_id, sha256, outcome.pages)
        bill, invoice = outcome.bill, outcome.invoice
        contact_id, coding = None, None
        if bill is not None and invoice is not None:
            with self.ledger.engine.connect() as conn:
                contact = resolve_vendor(conn, self.entity_id, invoice)
                contact_id = contact.id if contact else None
                codes = code_lines(conn, self.ledger, self.rules, bill, contact_id)
            kept = {i: c for i, c in enumerate(manual) if c.source == "manual"}
            coding = coding_json([kept.get(i, c) for i, c in enumerate(codes)])
        return {
            "contact_id": contact_id, "coding": coding,
            "format": outcome.format, "status": outcome.status,
            "findings": json.dumps([{"rule": f.rule, "message": f.message}
                                    for f in outcome.findings]),
            "document": bill.model_dump_json(exclude_none=True) if bill else None,
            "number": invoice.number if invoice else None,
            "seller": invoice.seller.name if invoice else None,
            "vendor": vendor_key(invoice) if invoice else None,
            "currency": bill.currency if bill else None,
            "total": bill.total.minor if bill and bill.total else None,
            "fields": outcome.fields,
        }

    def _hints(self, found: Extraction) -> dict[str, str]:
        """What earlier corrections taught about the vendor of ``found``."""
        keys = vendor_keys({name: f.value for name, f in found.fields.items()})
        if not keys:
            return {}
        h = extraction_hints.c
        with self.ledger.engine.connect() as conn:
            rows = conn.execute(select(h.vendor, h.field, h.hint).where(
                h.entity_id == self.entity_id, h.vendor.in_(keys))).all()
        hints: dict[str, str] = {}
        for key in reversed(keys):  # the strongest key's hints win
            hints.update({r.field: r.hint for r in rows if r.vendor == key})
        return hints

    def _learn(self, conn: Connection, document_id: int, pages: list[Page], keys: list[str],
               corrections: dict[str, str]) -> None:
        """Remember, under each of the vendor's keys, what each correction teaches."""
        for name, value in corrections.items():
            hint = value if name == "vendor" else label_before(pages, value)
            if not hint:
                continue
            learned = VENDOR_NAME if name == "vendor" else name
            for key in keys:
                h = extraction_hints.c
                conn.execute(delete(extraction_hints).where(
                    h.entity_id == self.entity_id, h.vendor == key[:255], h.field == learned))
                conn.execute(insert(extraction_hints).values(
                    entity_id=self.entity_id, vendor=key[:255], field=learned, hint=hint[:255],
                    document_id=document_id))

    def get(self, document_id: int) -> StoredDocument:
        """One stored document; IntakeError when there is none with that id."""
        with self.ledger.engine.connect() as conn:
            row = conn.execute(select(*_SUMMARY).where(
                intake_documents.c.entity_id == self.entity_id,
                intake_documents.c.id == document_id)).mappings().first()
            if row is None:
                raise IntakeError(f"no document {document_id}")
            return _stored(row, _links(conn, [document_id]))

    def list(self, status: str | Iterable[str] | None = None, *,
             added_since: dt.datetime | None = None) -> list[StoredDocument]:
        """Stored documents in the order they were added, optionally of some statuses."""
        c = intake_documents.c
        query = select(*_SUMMARY).where(c.entity_id == self.entity_id)
        if status is not None:
            query = query.where(c.status.in_([status] if isinstance(status, str) else status))
        if added_since is not None:
            query = query.where(c.added_at >= added_since)
        with self.ledger.engine.connect() as conn:
            rows = list(conn.execute(query.order_by(c.id)).mappings())
            links = _links(conn, [r["id"] for r in rows if r["status"] == "matched"])
        return [_stored(r, links) for r in rows]

    def mark_matched(self, conn: Connection, document_id: int, connection_id: int,
                     transaction_id: str, *, by: str, score: int | None = None) -> bool:
        """Mark a ready or flagged document as the receipt of a card transaction.

        In the caller's transaction; False when the document is not (or no longer)
        ready or flagged, so two matchers never claim one receipt.
        """
        c = intake_documents.c
        previous = conn.execute(select(c.status).where(
            c.entity_id == self.entity_id, c.id == document_id,
            c.status.in_(MATCHABLE))).scalar()
        if previous is None or not conn.execute(update(intake_documents).where(
                c.id == document_id, c.status == previous).values(status="matched")).rowcount:
            return False
        r = receipt_matches.c
        conn.execute(delete(receipt_matches).where(r.document_id == document_id,
                                                   r.connection_id == connection_id,
                                                   r.transaction_id == transaction_id))
        conn.execute(insert(receipt_matches).values(
            entity_id=self.entity_id, document_id=document_id, connection_id=connection_id,
            transaction_id=transaction_id, status="matched", previous_status=previous,
            score=score, matched_by=by[:64], matched_at=_now()))
        return True

    def unmark(self, conn: Connection, document_id: int) -> tuple[int, str]:
        """Put a matched receipt back to the status it had; (connection id, transaction id).

        In the caller's transaction; IntakeError when the document is not matched.
        """
        r = receipt_matches.c
        row = conn.execute(select(r.id, r.connection_id, r.transaction_id, r.previous_status)
                           .where(r.entity_id == self.entity_id, r.document_id == document_id,
                                  r.status == "matched")).first()
        if row is None:
            raise IntakeError(f"document {document_id} is not matched to a card transaction")
        conn.execute(delete(receipt_matches).where(r.id == row.id))
        conn.execute(update(intake_documents).where(intake_documents.c.id == document_id)
                     .values(status=row.previous_status or "ready"))
        return row.connection_id, row.transaction_id

    def content(self, document_id: int) -> bytes:
        """The original bytes of a stored document."""
        with self.ledger.engine.connect() as conn:
            content = conn.execute(select(intake_documents.c.content).where(
                intake_documents.c.entity_id == self.entity_id,
                intake_documents.c.id == document_id)).scalar()
        if content is None:
            raise IntakeError(f"no document {document_id}")
        return bytes(content)

    def approve(self, document_id: int, by: str, *, allow_duplicate: bool = False
                ) -> StoredDocument:
        """Approve a ready document's coded Bill for posting, recording who and when.

        A flagged or unreadable document is refused with its findings, except that
        ``allow_duplicate`` approves one whose only findings are that another document
        may be the same invoice (LB-03, LB-04), once someone has looked. The Bill is
        then screened for anomalies (the flags are saved even when approval is
        refused): open flags from ``HIGH_SCORE`` naming it hold it until dismissed;
        ``allow_duplicate`` lets duplicate flags through, never the others.
        """
        stored = self.get(document_id)
        if stored.status in ("approved", "posted"):
            return stored
        if stored.matched is not None:
            raise IntakeError(f"document {document_id} is the receipt of {stored.matched}: "
                              "evidence for a card charge, not a bill to post")
        reviewed = allow_duplicate and stored.only_duplicate
        if (stored.status != "ready" and not reviewed) or stored.bill is None:
            reasons = "; ".join(map(str, stored.findings)) or stored.status
            raise IntakeError(f"document {document_id} is {stored.status}, not approved: "
                              f"{reasons}")
        held = self._held(self._canonical(stored), allow_duplicate=allow_duplicate)
        if held:
            reasons = "; ".join(f"flag {f.id} ({f.kind}, score {f.score:.2f}): {f.reason}"
                                for f in held)
            raise IntakeError(f"document {document_id} is held by anomaly flags, not approved: "
                              f"{reasons}; dismiss each after review (ledgerbridge anomalies "
                              "dismiss ID, or the Anomalies page), then approve again")
        with self.ledger.engine.begin() as conn:
            conn.execute(update(intake_documents).where(intake_documents.c.id == document_id)
                         .values(status="approved", approved_by=by[:64], approved_at=_now()))
        return self.get(document_id)

    def _held(self, bill: Bill, *, allow_duplicate: bool) -> list[SavedFlag]:
        """Screen ``bill`` (committed on its own) and return the open high flags naming it."""
        with self.ledger.engine.begin() as conn:
            screen_document(conn, self.entity_id, bill)
        key = document_key(bill)
        with self.ledger.engine.connect() as conn:
            found = list_flags(conn, self.entity_id, status=FlagStatus.OPEN,
                               min_score=HIGH_SCORE)
        return [f for f in found if key in f.records
                and not (allow_duplicate and FlagKind(f.kind).duplicate)]

    def code(self, document_id: int, line: int, account: str) -> StoredDocument:
        """Code line ``line`` (1 = first) of a document to ``account`` by hand.

        The account must be in the chart. An approved document goes back to ready:
        its coding changed after someone approved it.
        """
        stored = self.get(document_id)
        if stored.status == "posted":
            raise IntakeError(f"document {document_id} is posted: reverse its entry instead")
        if not stored.coding:
            raise IntakeError(f"document {document_id} has no Bill to code ({stored.status})")
        if not 1 <= line <= len(stored.coding):
            raise IntakeError(f"document {document_id} has lines 1 to {len(stored.coding)}, "
                              f"not {line}")
        if account not in {a.code for a in self.ledger.accounts()}:
            raise IntakeError(f"document {document_id} line {line}: account {account!r} is "
                              "not in the chart")
        coding = list(stored.coding)
        coding[line - 1] = LineCode(account, "manual", "coded by hand")
        values: dict[str, Any] = {"coding": coding_json(coding)}
        if stored.status == "approved":
            values |= {"status": "ready", "approved_by": None, "approved_at": None}
        with self.ledger.engine.begin() as conn:
            conn.execute(update(intake_documents).where(intake_documents.c.id == document_id)
                         .values(**values))
        return self.get(document_id)

    def preview(self, stored: StoredDocument, rules: PostingRules, *,
                exchange_rate: Decimal | None = None) -> Entry:
        """The entry a document's coded Bill would post with ``rules``, not posted.

        Shows each line's account and each VAT rate's tax account before approval.
        Refused (IntakeError, or the rules' own error) when there is no Bill, a rate is
        missing, or the entry would be empty.
        """
        bill = self._canonical(stored, exchange_rate)
        entry = rules.for_ledger(self.ledger).entry_for(bill, _no_lookup)
        if entry is None:
            raise IntakeError(f"document {stored.id} posts nothing (its amounts are zero)")
        source = bill.source
        return Entry(entry.date, entry.lines, entry.memo,
                     lineage=Lineage(source.connection, source.object_type,
                                     source.external_id))

    def _canonical(self, stored: StoredDocument, exchange_rate: Decimal | None = None) -> Bill:
        """The coded Bill as the canonical document of the entity's intake connection."""
        bill = stored.coded_bill
        if bill is None:
            raise IntakeError(f"document {stored.id} has no Bill ({stored.status})")
        update_ = {"source": bill.source.model_copy(
            update={"connection": intake_connection(self.ledger)})}
        if exchange_rate is not None:
            bill = Bill.model_validate(bill.model_dump(mode="json")
                                       | {"exchange_rate": str(exchange_rate)})
        return bill.model_copy(update=update_)

    def post(self, document_id: int, rules: PostingRules, *, by: str,
             exchange_rate: Decimal | None = None) -> int:
        """Post an approved document's coded Bill with ``rules``; returns the entry id.

        The Bill is applied as a canonical ``bill`` document of the intake connection
        (versioned, screened, its write-backs queued), the entry tracing to it.
        Posting twice returns the same entry. A document not approved is refused
        (a ready one says to approve it; others give their findings).
        """
        stored = self.get(document_id)
        if stored.status == "posted" and stored.entry_id is not None:
            return stored.entry_id
        if stored.status != "approved":
            reasons = "; ".join(map(str, stored.findings)) or (
                "approve it first" if stored.status == "ready" else
                f"the receipt of {stored.matched}, not a bill" if stored.matched else
                stored.status)
            raise IntakeError(f"document {document_id} is {stored.status}, not posted: {reasons}")
        rules = rules.for_ledger(self.ledger)
        self.preview(stored, rules, exchange_rate=exchange_rate)  # refuses an empty entry
        bill = self._canonical(stored, exchange_rate)
        connection_id = self._connection_id()
        with self.ledger.engine.begin() as conn:
            lookup = make_lookup(conn, connection_id)
            try:
                applied, commands = apply_document(conn, self.ledger, connection_id, bill,
                                                   rules, lookup=lookup)
            except MissingDependency as exc:
                raise IntakeError(f"document {document_id}: {exc}") from None
            for command in commands:
                enqueue(conn, command, entry_id=applied.entry_id,
                        document_id=applied.document_id)
            # the same version applied already (a concurrent post): its entry
            entry_id = applied.entry_id or conn.execute(select(documents.c.entry_id).where(
                documents.c.connection_id == connection_id, documents.c.type == "bill",
                documents.c.external_id == stored.sha256,
                documents.c.status == "current")).scalar()
            conn.execute(update(intake_documents).where(intake_documents.c.id == document_id)
                         .values(status="posted", entry_id=entry_id, posted_by=by[:64],
                                 posted_at=_now()))
        return entry_id

    def _connection_id(self) -> int:
        """The id of the entity's intake connection, created on first use."""
        name = intake_connection(self.ledger)
        query = select(connections.c.id).where(connections.c.name == name)
        with self.ledger.engine.connect() as conn:
            found = conn.execute(query).scalar()
        if found is not None:
            return found
        try:
            with self.ledger.engine.begin() as conn:
                conn.execute(insert(connections).values(
                    name=name, system=IntakeConnector.system, entity_id=self.entity_id,
                    settings="{}", secrets="{}"))
        except IntegrityError:  # created concurrently
            pass
        with self.ledger.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def _unless_duplicate(self, outcome: Assessment, *,
                          exclude: int | None = None) -> Assessment:
        """Flag a ready invoice that another ready, approved or posted one may be.

        LB-03: the same supplier and number; the same invoice often arrives twice, as
        a PDF and as XML, or as CII and UBL. LB-04: the same supplier and total, issued
        within a few days, under another number: a resent invoice, or one keyed twice.
        """
        invoice, bill = outcome.invoice, outcome.bill
        if outcome.status != "ready" or invoice is None or bill is None:
            return outcome
        c = intake_documents.c
        with self.ledger.engine.connect() as conn:
            earlier = conn.execute(select(c.id, c.file_name, c.status, c.number, c.document)
                                   .where(c.entity_id == self.entity_id,
                                          c.vendor == vendor_key(invoice),
                                          c.status.in_(("ready", "approved", "posted")),
                                          c.id != (exclude or 0)).order_by(c.id)).all()
        findings = []
        for row in earlier:
            seen = f"document {row.id} ({row.file_name}, {row.status})"
            if row.number == invoice.number:
                findings.append(Finding(DUPLICATE_RULE, f"invoice {invoice.number} of "
                                        f"{invoice.seller.name} is already {seen}"))
                continue
            other = Bill.model_validate_json(row.document)
            days = abs((other.issue_date - bill.issue_date).days)
            if other.total == bill.total and days <= SAME_AMOUNT_DAYS:
                findings.append(Finding(SAME_AMOUNT_RULE, f"invoice {invoice.number} of "
                                        f"{invoice.seller.name} for {bill.total} is {days} "
                                        f"days from invoice {row.number}, {seen}"))
        if not findings:
            return outcome
        return Assessment("flagged", tuple(findings), invoice, bill, outcome.fields,
                          outcome.pages)

    def _find(self, sha256: str) -> StoredDocument | None:
        with self.ledger.engine.connect() as conn:
            row = conn.execute(select(*_SUMMARY).where(
                intake_documents.c.entity_id == self.entity_id,
                intake_documents.c.sha256 == sha256)).mappings().first()
            return _stored(row, _links(conn, [row["id"]])) if row is not None else None


def intake_connection(ledger: Ledger) -> str:
    """The name of the connection an entity's received documents are stored under."""
    code = ledger.entity.code
    return SOURCE_CONNECTION if code == "default" else f"{SOURCE_CONNECTION}-{code}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _no_lookup(type_: str, external_id: str) -> NoReturn:
    raise MissingDependency(f"{type_}:{external_id}")


def _links(conn: Connection, document_ids: list[int]) -> dict[int, ReceiptLink]:
    """The card transactions of matched receipts, by document id."""
    if not document_ids:
        return {}
    r = receipt_matches.c
    rows = conn.execute(select(r.document_id, connections.c.name, r.transaction_id,
                               r.matched_by, r.matched_at)
                        .join(connections, connections.c.id == r.connection_id)
                        .where(r.document_id.in_(document_ids), r.status == "matched"))
    return {row.document_id: ReceiptLink(row.name, row.transaction_id, row.matched_by or "",
                                         row.matched_at) for row in rows}


def _stored(row: Any, links: dict[int, ReceiptLink]) -> StoredDocument:
    total = (Money(row["total"], row["currency"])
             if row["total"] is not None and row["currency"] else None)
    return StoredDocument(
        id=row["id"], sha256=row["sha256"], file_name=row["file_name"],
        media_type=row["media_type"], size=row["size"], added_at=row["added_at"],
        format=row["format"], status=row["status"],
        findings=tuple(Finding(f["rule"], f["message"]) for f in json.loads(row["findings"])),
        number=row["number"], seller=row["seller"], vendor=row["vendor"], total=total,
        entry_id=row["entry_id"], document=row["document"], fields=row["fields"],
        corrections=json.loads(row["corrections"] or "{}"),
        contact_id=row["contact_id"], coding=parse_coding(row["coding"]),
        approved_by=row["approved_by"], approved_at=row["approved_at"],
        posted_by=row["posted_by"], posted_at=row["posted_at"],
        matched=links.get(row["id"]),
    )
