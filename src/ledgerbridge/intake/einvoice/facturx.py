"""Factur-X / ZUGFeRD PDFs: the invoice is the CII XML embedded in the PDF/A-3.

Reading the attachment is left to the maintained ``factur-x`` library, which knows
the attachment names each version uses (factur-x.xml, zugferd-invoice.xml,
ZUGFeRD-invoice.xml, xrechnung.xml).
"""

from __future__ import annotations

import io

from ledgerbridge.intake.einvoice.model import EInvoiceError

__all__ = ["is_pdf", "xml_from_pdf"]


def is_pdf(content: bytes) -> bool:
    """True when ``content`` starts like a PDF file."""
    return content[:1024].lstrip().startswith(b"%PDF-")


def xml_from_pdf(content: bytes) -> bytes:
    """The embedded invoice XML of a Factur-X or ZUGFeRD PDF.

    Raises EInvoiceError when the ``factur-x`` library is missing or the PDF embeds
    no invoice (a scanned or plain PDF invoice).
    """
    try:
        from facturx import get_xml_from_pdf  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise EInvoiceError("reading Factur-X/ZUGFeRD PDFs needs the factur-x package, "
                            "which is not installed") from None
    try:
        _name, xml = get_xml_from_pdf(io.BytesIO(content), check_xsd=False)
    except Exception as exc:  # pypdf raises many types on damaged files
        raise EInvoiceError(f"cannot read the PDF: {exc}") from None
    if not xml:
        raise EInvoiceError("a PDF without an embedded Factur-X/ZUGFeRD invoice: "
                            "only structured e-invoices are read")
    return xml
