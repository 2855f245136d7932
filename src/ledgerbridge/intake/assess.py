"""What a received file is and whether it can be booked: read, check, make the Bill."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from ledgerbridge.documents import Bill
from ledgerbridge.intake.einvoice import EInvoice, EInvoiceError, Finding, check, read_einvoice
from ledgerbridge.intake.einvoice import to_bill as einvoice_bill
from ledgerbridge.intake.einvoice.facturx import is_pdf
from ledgerbridge.intake.extract import (
    REQUIRED,
    REVIEW_BELOW,
    Extraction,
    NoText,
    corrected,
    extract,
    fields_json,
    is_image,
    pages_of,
    to_einvoice,
)
from ledgerbridge.intake.extract.layout import Page

__all__ = ["Assessment", "Status", "assess", "media_type"]

Status = Literal["unreadable", "flagged", "ready", "approved", "posted", "matched"]
"""unreadable: not an e-invoice we read; flagged: breaks a rule; ready: a coded draft
waiting for approval; approved: someone approved it for posting; posted: in the ledger;
matched: a receipt tied to a card transaction, evidence for it and never a bill."""

READ_RULE = "READ"
"""The rule id of a file that could not be read as an e-invoice."""

CANONICAL_RULE = "LB-02"
"""The rule id of an invoice whose terms the canonical Bill refuses."""

REVIEW_RULE = "LB-10"
"""The rule id of a field read from text or a scan with too little confidence to book."""

Learned = Callable[[Extraction], Mapping[str, str]]
"""What corrections taught us about the vendor of a first reading: field -> hint."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """The parse outcome of one file: its format, what it breaks, and its Bill if any."""

    status: Status
    findings: tuple[Finding, ...]
    invoice: EInvoice | None = None
    bill: Bill | None = None
    fields: str | None = None
    """For a text or scanned document: each field read, its confidence and source (JSON)."""
    pages: tuple[Page, ...] | None = None
    """For a text or scanned document: its laid-out words, to read it again without OCR."""

    @property
    def format(self) -> str | None:
        """The e-invoice syntax read ("cii", "cii-zugferd1", "ubl"), None when unread."""
        return self.invoice.syntax if self.invoice else None


def media_type(content: bytes, name: str) -> str:
    """The media type of a file, from its content first and its name second."""
    if is_pdf(content):
        return "application/pdf"
    if is_image(content):
        return mimetypes.guess_type(name)[0] or "image/*"
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "application/xml"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def assess(content: bytes, sha256: str, *, buyer: str | None = None,
           learned: Learned | None = None,
           corrections: Mapping[str, str] | None = None,
           pages: list[Page] | None = None) -> Assessment:
    """Read ``content``, apply the booking rules, build its Bill if it passes.

    A structured e-invoice is read exactly. Any other PDF, and a picture, is read by
    layout (OCR for scans): ``learned`` gives what corrections taught us about its
    vendor, ``corrections`` the user's values for this document, and ``buyer`` is the
    ledger's company, whom the document is addressed to. ``pages`` are its laid-out
    words from an earlier reading, which saves the OCR.
    """
    try:
        invoice = read_einvoice(content)
    except EInvoiceError as exc:
        if not (is_pdf(content) or is_image(content)):
            return Assessment("unreadable", (Finding(READ_RULE, str(exc)),))
        return _assess_text(content, sha256, buyer, learned, corrections or {}, pages)
    return _judged(invoice, sha256, ())


def _judged(invoice: EInvoice, sha256: str, review: tuple[Finding, ...],
            fields: str | None = None, pages: tuple[Page, ...] | None = None) -> Assessment:
    findings = (*check(invoice), *review)
    if findings:
        return Assessment("flagged", findings, invoice, fields=fields, pages=pages)
    try:
        bill = einvoice_bill(invoice, sha256)
    except (EInvoiceError, ValidationError) as exc:
        return Assessment("flagged", (Finding(CANONICAL_RULE, _reason(exc)),), invoice,
                          fields=fields, pages=pages)
    return Assessment("ready", (), invoice, bill, fields, pages)


def _assess_text(content: bytes, sha256: str, buyer: str | None, learned: Learned | None,
                 corrections: Mapping[str, str], pages: list[Page] | None) -> Assessment:
    try:
        pages = pages if pages is not None else pages_of(content)
        found = extract(content, learned=learned, pages=pages)
    except NoText as exc:
        return Assessment("unreadable", (Finding(READ_RULE, str(exc)),))
    found = corrected(found, corrections)
    review = tuple(
        Finding(REVIEW_RULE, f"{name} needs review: " + (
            f"read {field.value} from {field.source!r} with confidence {field.confidence:.2f}"
            if field is not None and field.value is not None else "not found"))
        for name in REQUIRED
        if (field := found.fields.get(name)) is None or field.value is None
        or field.confidence < REVIEW_BELOW)
    syntax = "pdf-text" if is_pdf(content) else "scan"
    return _judged(to_einvoice(found, syntax, buyer=buyer), sha256, review, fields_json(found),
                   tuple(pages))


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)
