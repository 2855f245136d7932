"""The document store: every received file kept once, by content, with its outcome.

A file is addressed by its SHA-256 within an entity: adding the same bytes again,
under any name, returns the document already stored. The stored bytes are never
changed. A document with a Bill is coded (vendor contact, an account per line); a
ready one is approved by someone, and only an approved one is posted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledgerbridge.documents import Bill, Document
from ledgerbridge.intake.assess import Assessment, Status, assess, media_type
from ledgerbridge.intake.coding import (
    LineCode,
    code_lines,
    coding_json,
    parse_coding,
    resolve_vendor,
)
from ledgerbridge.intake.einvoice import Finding, vendor_key
from ledgerbridge.intake.extract import Extraction, pages_of
from ledgerbridge.intake.extract.fields import VENDOR_NAME
from ledgerbridge.intake.extract.layout import Page
from ledgerbridge.intake.extract.memory import label_before, vendor_keys
from ledgerbridge.ledger import Entry, Ledger, Lineage
from ledgerbridge.mapping import PostingRules, load_rules
from ledgerbridge.money import Money
from ledgerbridge.store.tables import extraction_hints, intake_documents
from ledgerbridge.sync.errors import MissingDependency

__all__ = ["Added", "IntakeError", "IntakeStore", "StoredDocument"]

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
        return Added(stored, new=new)

    def correct(self, document_id: int, corrections: dict[str, str]) -> StoredDocument:
        """Set fields of a text or scanned document by hand, read it again, and learn.

        Each corrected field's label (or, for the vendor, the name) is remembered for
        this vendor's next documents. A posted or structured document is refused.
        """
        stored = self.get(document_id)
        if stored.status == "posted":
            raise IntakeError(f"document {document_id} is posted: reverse its entry instead")
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
            self._learn(conn, document_id, pages_of(content),
                        vendor_keys(read | corrections), corrections)
        return self.get(document_id)

    def _outcome(self, content: bytes, sha256: str, corrections: dict[str, str], *,
                 exclude: int | None = None,
                 manual: tuple[LineCode, ...] = ()) -> dict[str, Any]:
        """The columns that record how a file was read, judged and coded.

        ``manual`` is the document's earlier coding: the lines a user coded keep
        their accounts.
        """
        outcome = self._unless_duplicate(
            assess(content, sha256, buyer=self.ledger.entity.name, learned=self._hints,
                   corrections=corrections), exclude=exclude)
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
        return _stored(row)

    def list(self, status: str | None = None) -> list[StoredDocument]:
        """Stored documents in the order they were added, optionally of one status."""
        query = select(*_SUMMARY).where(intake_documents.c.entity_id == self.entity_id)
        if status is not None:
            query = query.where(intake_documents.c.status == status)
        with self.ledger.engine.connect() as conn:
            return [_stored(r) for r in conn.execute(query.order_by(intake_documents.c.id))
                    .mappings()]

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
        may be the same invoice (LB-03, LB-04), once someone has looked.
        """
        stored = self.get(document_id)
        if stored.status in ("approved", "posted"):
            return stored
        reviewed = allow_duplicate and stored.only_duplicate
        if (stored.status != "ready" and not reviewed) or stored.bill is None:
            reasons = "; ".join(map(str, stored.findings)) or stored.status
            raise IntakeError(f"document {document_id} is {stored.status}, not approved: "
                              f"{reasons}")
        with self.ledger.engine.begin() as conn:
            conn.execute(update(intake_documents).where(intake_documents.c.id == document_id)
                         .values(status="approved", approved_by=by[:64], approved_at=_now()))
        return self.get(document_id)

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
        bill = stored.coded_bill
        if bill is None:
            raise IntakeError(f"document {stored.id} has no Bill ({stored.status})")
        if exchange_rate is not None:
            bill = Bill.model_validate(bill.model_dump(mode="json")
                                       | {"exchange_rate": str(exchange_rate)})
        entry = rules.for_ledger(self.ledger).entry_for(bill, _no_lookup)
        if entry is None:
            raise IntakeError(f"document {stored.id} posts nothing (its amounts are zero)")
        source = bill.source
        # The file is found by its hash (the external id); the lineage's document id
        # names a synced canonical document, which an intake document is not.
        return Entry(entry.date, entry.lines, entry.memo,
                     lineage=Lineage(source.connection, source.object_type,
                                     source.external_id),
                     idempotency_key=f"intake:{stored.sha256}")

    def post(self, document_id: int, rules: PostingRules, *, by: str,
             exchange_rate: Decimal | None = None) -> int:
        """Post an approved document's coded Bill with ``rules``; returns the entry id.

        Posting twice returns the same entry. A document not approved is refused
        (a ready one says to approve it; others give their findings).
        """
        stored = self.get(document_id)
        if stored.status == "posted" and stored.entry_id is not None:
            return stored.entry_id
        if stored.status != "approved":
            reasons = "; ".join(map(str, stored.findings)) or (
                "approve it first" if stored.status == "ready" else stored.status)
            raise IntakeError(f"document {document_id} is {stored.status}, not posted: {reasons}")
        entry = self.preview(stored, rules, exchange_rate=exchange_rate)
        with self.ledger.engine.begin() as conn:
            entry_id = self.ledger.post(entry, conn=conn)
            conn.execute(update(intake_documents).where(intake_documents.c.id == document_id)
                         .values(status="posted", entry_id=entry_id, posted_by=by[:64],
                                 posted_at=_now()))
        return entry_id

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
        return Assessment("flagged", tuple(findings), invoice, bill, outcome.fields)

    def _find(self, sha256: str) -> StoredDocument | None:
        with self.ledger.engine.connect() as conn:
            row = conn.execute(select(*_SUMMARY).where(
                intake_documents.c.entity_id == self.entity_id,
                intake_documents.c.sha256 == sha256)).mappings().first()
        return _stored(row) if row is not None else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _no_lookup(type_: str, external_id: str) -> Document:
    raise MissingDependency(f"{type_}:{external_id}")


def _stored(row: Any) -> StoredDocument:
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
    )
