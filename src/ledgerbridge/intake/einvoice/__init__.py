"""Structured e-invoices read exactly: CII (Factur-X, ZUGFeRD) and UBL 2.1 (Peppol BIS 3).

``read_einvoice`` reads the file, ``check`` applies the EN 16931 rules that matter for
booking, and ``to_bill`` turns an invoice that passed into a canonical Bill.
"""

from __future__ import annotations

from lxml import etree

from ledgerbridge.intake.einvoice._xml import parse_xml
from ledgerbridge.intake.einvoice.bill import to_bill, vendor_key
from ledgerbridge.intake.einvoice.cii import CII_NAMESPACE, ZUGFERD1_NAMESPACE, read_cii
from ledgerbridge.intake.einvoice.facturx import is_pdf, xml_from_pdf
from ledgerbridge.intake.einvoice.model import (
    AllowanceCharge,
    EInvoice,
    EInvoiceError,
    InvoiceLine,
    Party,
    Totals,
    VatBreakdown,
)
from ledgerbridge.intake.einvoice.rules import Finding, check
from ledgerbridge.intake.einvoice.ubl import UBL_NAMESPACES, read_ubl

__all__ = [
    "AllowanceCharge",
    "EInvoice",
    "EInvoiceError",
    "Finding",
    "InvoiceLine",
    "Party",
    "Totals",
    "VatBreakdown",
    "check",
    "read_einvoice",
    "to_bill",
    "vendor_key",
]


def read_einvoice(content: bytes) -> EInvoice:
    """Read an e-invoice from a file's bytes: CII or UBL XML, or a Factur-X PDF.

    Raises EInvoiceError saying why when the file is none of these.
    """
    if is_pdf(content):
        content = xml_from_pdf(content)
    root = parse_xml(content)
    namespace = etree.QName(root).namespace
    if namespace in (CII_NAMESPACE, ZUGFERD1_NAMESPACE):
        return read_cii(root)
    if namespace in UBL_NAMESPACES:
        return read_ubl(root)
    raise EInvoiceError(f"not an e-invoice: the root element is {root.tag}, neither a "
                        "CII CrossIndustryInvoice nor a UBL Invoice or CreditNote")
