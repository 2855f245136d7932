"""Invoices and receipts without structured data: text PDFs and scans, read by layout.

``extract`` reads a PDF's text layer (or OCR of a scan or photo) and finds the fields
a bill needs, each with a confidence; ``to_einvoice`` states what was read in the
same terms as a structured e-invoice, so the EN 16931 booking checks judge it too.
A field read with confidence below ``REVIEW_BELOW`` sends the document to review.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from ledgerbridge.intake.einvoice.facturx import is_pdf
from ledgerbridge.intake.einvoice.model import (
    EInvoice,
    InvoiceLine,
    Party,
    Totals,
    VatBreakdown,
)
from ledgerbridge.intake.extract.fields import Extraction, Field, ItemLine, TaxLine, read_fields
from ledgerbridge.intake.extract.layout import NoText, Page, from_image, from_pdf
from ledgerbridge.money import iso_currencies

__all__ = ["FIELD_NAMES", "REQUIRED", "REVIEW_BELOW", "Extraction", "Field", "NoText",
           "corrected", "extract", "fields_json", "is_image", "pages_of", "to_einvoice"]

REVIEW_BELOW = 0.8
"""A field read with less confidence than this needs a person to confirm it."""

REQUIRED = ("vendor", "number", "issue_date", "currency", "total")
"""Fields a bill cannot be booked without."""

FIELD_NAMES = ("vendor", "vendor_tax_id", "number", "issue_date", "due_date", "currency",
               "net", "tax_total", "total", "iban", "order")
"""Every field read from a text or scanned document, and that a user may correct."""

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF8")


def is_image(content: bytes) -> bool:
    """True when ``content`` starts like a PNG, JPEG, TIFF or GIF picture."""
    return content.startswith(_IMAGE_MAGIC) or (content[:4] == b"RIFF" and
                                                 content[8:12] == b"WEBP")


def pages_of(content: bytes, *, ocr_language: str = "eng+deu+fra") -> list[Page]:
    """The laid-out words of a PDF (its text layer, else OCR) or of a picture (OCR)."""
    return (from_pdf(content, ocr_language=ocr_language) if is_pdf(content)
            else from_image(content, ocr_language=ocr_language))


def extract(content: bytes, *,
            learned: Callable[[Extraction], Mapping[str, str]] | None = None,
            ocr_language: str = "eng+deu+fra", pages: list[Page] | None = None) -> Extraction:
    """The fields of an invoice or receipt file (PDF or image), each with its confidence.

    ``learned`` gives, for a first reading, what corrections taught us about its
    vendor (a label to try first per field, and the vendor's name); the same laid-out
    words are then read again with those hints. ``pages`` are the file's laid-out
    words when already known (no OCR then). Raises NoText when nothing can be read.
    """
    if pages is None:
        pages = pages_of(content, ocr_language=ocr_language)
    found = read_fields(pages, known_currencies=iso_currencies())
    hints = learned(found) if learned else {}
    if hints:
        found = read_fields(pages, known_currencies=iso_currencies(), hints=hints)
    return found


def corrected(found: Extraction, corrections: Mapping[str, str]) -> Extraction:
    """``found`` with the user's corrections (field -> typed text) put in, at full confidence.

    Raises ValueError naming the field when a correction cannot be its kind of value.
    """
    for name, text in corrections.items():
        found.fields[name] = Field(_typed(name, text), 1.0, "corrected by a user")
    return found


def _typed(name: str, text: str) -> object:
    if name not in FIELD_NAMES:
        raise ValueError(f"no field {name!r}: fields are {', '.join(FIELD_NAMES)}")
    text = text.strip()
    try:
        if name in ("issue_date", "due_date"):
            return dt.date.fromisoformat(text)
        if name in ("net", "tax_total", "total"):
            return Decimal(text)
    except (ValueError, InvalidOperation):
        kind = "a date as YYYY-MM-DD" if name.endswith("date") else "an amount like 1234.56"
        raise ValueError(f"{name}: {text!r} is not {kind}") from None
    if name == "currency" and text.upper() not in iso_currencies():
        raise ValueError(f"currency: {text!r} is not an ISO 4217 code")
    return text.upper() if name in ("currency", "iban", "vendor_tax_id") else text


def fields_json(found: Extraction) -> str:
    """The fields read, with confidence and source, as JSON for storage and display."""
    return json.dumps({name: {"value": None if f.value is None else str(f.value),
                              "confidence": round(f.confidence, 2), "source": f.source}
                       for name, f in found.fields.items()})


def to_einvoice(found: Extraction, syntax: str, *, buyer: str | None = None) -> EInvoice:
    """What was read, as the terms of an e-invoice (``syntax`` says how it was read).

    ``buyer`` is who the document is addressed to: the ledger's own company.

    Line items become invoice lines when they add up to the net amount; otherwise
    each VAT rate's basis becomes one line, so the bill still books per rate.
    """
    net, tax, total = found.value("net"), found.value("tax_total"), found.value("total")
    taxes = found.tax_lines
    if len(taxes) == 1 and taxes[0].basis is None and net is not None:
        taxes = (TaxLine(taxes[0].rate, net, taxes[0].amount),)
    items = _items_with_rates(found.items, taxes)
    if items:
        bases = {}
        for item in items:
            bases[item.rate] = bases.get(item.rate, Decimal(0)) + item.amount
        taxes = tuple(TaxLine(t.rate, bases.get(t.rate, t.basis), t.amount) for t in taxes)
    vat = tuple(VatBreakdown("S" if t.rate else "Z", t.rate,
                             t.basis if t.basis is not None else _basis(t.amount, t.rate),
                             t.amount) for t in taxes)
    if not vat and net is not None and tax is not None:
        vat = (VatBreakdown("S" if tax else "Z", _rate(net, tax), net, tax),)
    if items and sum((item.amount for item in items), Decimal(0)) == net:
        lines = tuple(InvoiceLine(str(i), item.description, item.quantity, None,
                                  item.unit_price, None, item.amount,
                                  "S" if item.rate else "Z", item.rate)
                      for i, item in enumerate(items, start=1))
    else:
        lines = tuple(InvoiceLine(str(i), f"Invoice {found.value('number') or ''} at "
                                  f"{v.rate.normalize() if v.rate is not None else 0:f}%",
                                  Decimal(1), None, None, None, v.basis, v.category, v.rate)
                      for i, v in enumerate(vat, start=1))
    line_total = sum((line.net_amount or Decimal(0) for line in lines), Decimal(0))
    return EInvoice(
        syntax=syntax, specification=None, number=found.value("number"),
        type_code="381" if found.credit else "380", credit=found.credit,
        issue_date=found.value("issue_date"), due_date=found.value("due_date"),
        currency=found.value("currency"),
        seller=Party(found.value("vendor"), vat_id=found.value("vendor_tax_id")),
        buyer=Party(buyer), lines=lines, allowances_charges=(), vat=vat,
        totals=Totals(line_total=line_total, allowance_total=None, charge_total=None,
                      tax_basis=net, tax_total=tax, grand_total=total, prepaid=None,
                      rounding=None, payable=total),
        ibans=(found.value("iban"),) if found.value("iban") else (),
        order_reference=found.value("order"))


def _items_with_rates(items: tuple[ItemLine, ...],
                      taxes: tuple[TaxLine, ...]) -> tuple[ItemLine, ...]:
    """Items with their VAT rate: the only rate, or the one each line prints; else none."""
    if not items or not taxes:
        return ()
    if len({t.rate for t in taxes}) == 1:
        return tuple(replace(item, rate=taxes[0].rate) for item in items)
    if all(item.rate in {t.rate for t in taxes} for item in items):
        return items
    return ()


def _basis(amount: Decimal, rate: Decimal) -> Decimal | None:
    """A basis the invoice does not print, from its tax: exact only to the rounding."""
    return (amount * 100 / rate).quantize(Decimal("0.01")) if rate else None


def _rate(net: Decimal, tax: Decimal) -> Decimal:
    return (tax * 100 / net).quantize(Decimal("0.01")) if net else Decimal(0)
