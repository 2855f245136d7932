"""What a received file is and whether it can be booked: read, check, make the Bill."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from ledgerbridge.documents import Bill
from ledgerbridge.intake.einvoice import EInvoice, EInvoiceError, Finding, check, read_einvoice
from ledgerbridge.intake.einvoice import to_bill as einvoice_bill
from ledgerbridge.intake.einvoice.facturx import is_pdf

__all__ = ["Assessment", "Status", "assess", "media_type"]

Status = Literal["unreadable", "flagged", "ready", "posted"]
"""unreadable: not an e-invoice we read; flagged: breaks a rule; ready: can be posted."""

READ_RULE = "READ"
"""The rule id of a file that could not be read as an e-invoice."""

CANONICAL_RULE = "LB-02"
"""The rule id of an invoice whose terms the canonical Bill refuses."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """The parse outcome of one file: its format, what it breaks, and its Bill if any."""

    status: Status
    findings: tuple[Finding, ...]
    invoice: EInvoice | None = None
    bill: Bill | None = None

    @property
    def format(self) -> str | None:
        """The e-invoice syntax read ("cii", "cii-zugferd1", "ubl"), None when unread."""
        return self.invoice.syntax if self.invoice else None


def media_type(content: bytes, name: str) -> str:
    """The media type of a file, from its content first and its name second."""
    if is_pdf(content):
        return "application/pdf"
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "application/xml"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def assess(content: bytes, sha256: str) -> Assessment:
    """Read ``content`` as an e-invoice, apply the booking rules, build its Bill if it passes."""
    try:
        invoice = read_einvoice(content)
    except EInvoiceError as exc:
        return Assessment("unreadable", (Finding(READ_RULE, str(exc)),))
    findings = check(invoice)
    if findings:
        return Assessment("flagged", findings, invoice)
    try:
        bill = einvoice_bill(invoice, sha256)
    except (EInvoiceError, ValidationError) as exc:
        return Assessment("flagged", (Finding(CANONICAL_RULE, _reason(exc)),), invoice)
    return Assessment("ready", (), invoice, bill)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)
