"""The document store: every received file kept once, by content, with its outcome.

A file is addressed by its SHA-256 within an entity: adding the same bytes again,
under any name, returns the document already stored. The stored bytes are never
changed; posting only records the entry a ready document produced.
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
from ledgerbridge.intake.einvoice import Finding, vendor_key
from ledgerbridge.intake.extract import Extraction, pages_of
from ledgerbridge.intake.extract.fields import VENDOR_NAME
from ledgerbridge.intake.extract.layout import Page
from ledgerbridge.intake.extract.memory import label_before, vendor_keys
from ledgerbridge.ledger import Entry, Ledger, Lineage
from ledgerbridge.mapping import PostingRules
from ledgerbridge.money import Money
from ledgerbridge.store.tables import extraction_hints, intake_documents
from ledgerbridge.sync.errors import MissingDependency

__all__ = ["Added", "IntakeError", "IntakeStore", "StoredDocument"]

_SUMMARY = [c for c in intake_documents.c if c.name != "content"]

DUPLICATE_RULE = "LB-03"
"""The rule id of an invoice already stored from another file."""


class IntakeError(ValueError):
    """A request the document store refuses: unknown id, or a document not ready to post."""


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
    """Received documents of one ledger's entity."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.entity_id = ledger.entity.id

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
            outcome = self._outcome(content, stored.sha256, merged, exclude=document_id)
        except ValueError as exc:
            raise IntakeError(f"document {document_id}: {exc}") from None
        with self.ledger.engine.begin() as conn:
            conn.execute(update(intake_documents).where(intake_documents.c.id == document_id)
                         .values(**outcome, corrections=json.dumps(merged)))
            read = {name: f["value"] for name, f in json.loads(stored.fields).items()}
            self._learn(conn, document_id, pages_of(content),
                        vendor_keys(read | corrections), corrections)
        return self.get(document_id)

    def _outcome(self, content: bytes, sha256: str, corrections: dict[str, str], *,
                 exclude: int | None = None) -> dict[str, Any]:
        """The columns that record how a file was read and judged."""
        outcome = self._unless_duplicate(
            assess(content, sha256, buyer=self.ledger.entity.name, learned=self._hints,
                   corrections=corrections), exclude=exclude)
        bill, invoice = outcome.bill, outcome.invoice
        return {
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

    def post(self, document_id: int, rules: PostingRules, *,
             exchange_rate: Decimal | None = None, allow_duplicate: bool = False) -> int:
        """Post a ready document's Bill with ``rules``; returns the journal entry id.

        Posting twice returns the same entry. A flagged or unreadable document is
        refused with its findings, except that ``allow_duplicate`` posts one whose
        only finding is that its supplier and number were already seen (LB-03).
        """
        stored = self.get(document_id)
        if stored.status == "posted" and stored.entry_id is not None:
            return stored.entry_id
        bill = stored.bill
        only_duplicate = allow_duplicate and {f.rule for f in stored.findings} == {
            DUPLICATE_RULE}
        if (stored.status != "ready" and not only_duplicate) or bill is None:
            reasons = "; ".join(map(str, stored.findings)) or stored.status
            raise IntakeError(f"document {document_id} is {stored.status}, not posted: {reasons}")
        if exchange_rate is not None:
            bill = Bill.model_validate(bill.model_dump(mode="json")
                                       | {"exchange_rate": str(exchange_rate)})
        entry = rules.for_ledger(self.ledger).entry_for(bill, _no_lookup)
        if entry is None:
            raise IntakeError(f"document {document_id} posts nothing (its amounts are zero)")
        source = bill.source
        entry = Entry(entry.date, entry.lines, entry.memo,
                      lineage=Lineage(source.connection, source.object_type,
                                                  source.external_id, str(document_id)),
                      idempotency_key=f"intake:{stored.sha256}")
        with self.ledger.engine.begin() as conn:
            entry_id = self.ledger.post(entry, conn=conn)
            _mark_posted(conn, document_id, entry_id)
        return entry_id

    def _unless_duplicate(self, outcome: Assessment, *,
                          exclude: int | None = None) -> Assessment:
        """Flag a ready invoice whose supplier and number a ready or posted one already has.

        The same invoice often arrives twice, as a PDF and as XML, or as CII and UBL.
        """
        invoice = outcome.invoice
        if outcome.status != "ready" or invoice is None:
            return outcome
        c = intake_documents.c
        with self.ledger.engine.connect() as conn:
            earlier = conn.execute(select(c.id, c.file_name, c.status).where(
                c.entity_id == self.entity_id, c.vendor == vendor_key(invoice),
                c.number == invoice.number, c.status.in_(("ready", "posted")),
                c.id != (exclude or 0)).order_by(c.id)).first()
        if earlier is None:
            return outcome
        finding = Finding(DUPLICATE_RULE, f"invoice {invoice.number} of {invoice.seller.name} is "
                          f"already document {earlier.id} ({earlier.file_name}, "
                          f"{earlier.status})")
        return Assessment("flagged", (finding,), invoice, outcome.bill, outcome.fields)

    def _find(self, sha256: str) -> StoredDocument | None:
        with self.ledger.engine.connect() as conn:
            row = conn.execute(select(*_SUMMARY).where(
                intake_documents.c.entity_id == self.entity_id,
                intake_documents.c.sha256 == sha256)).mappings().first()
        return _stored(row) if row is not None else None


def _mark_posted(conn: Connection, document_id: int, entry_id: int) -> None:
    conn.execute(update(intake_documents).where(intake_documents.c.id == document_id)
                 .values(status="posted", entry_id=entry_id))


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
    )
