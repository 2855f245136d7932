"""An e-invoice as its XML states it: EN 16931 business terms, exact and unrounded.

Amounts are ``Decimal`` exactly as written (``"19.90"``); they become minor units only
after the checks in ``rules`` have passed, so an amount with too many decimals is
reported with its rule rather than rounded. Absent terms are ``None``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["AllowanceCharge", "EInvoice", "EInvoiceError", "InvoiceLine", "Party", "Totals",
           "VatBreakdown"]


class EInvoiceError(ValueError):
    """A file that cannot be read as an e-invoice; the message says why."""


@dataclass(frozen=True, slots=True)
class Party:
    """Seller (BG-4) or buyer (BG-7)."""

    name: str | None
    vat_id: str | None = None
    legal_id: str | None = None
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """An invoice line (BG-25).

    BT-126 id, BT-153 name, BT-129 quantity, BT-146 net price, BT-149 price base
    quantity, BT-131 net amount, BT-151 VAT category, BT-152 VAT rate.
    """

    id: str | None
    name: str | None
    quantity: Decimal | None
    unit_code: str | None
    net_price: Decimal | None
    price_base_quantity: Decimal | None
    net_amount: Decimal | None
    vat_category: str | None
    vat_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class AllowanceCharge:
    """A document-level allowance (BG-20) or charge (BG-21)."""

    charge: bool
    amount: Decimal | None
    reason: str | None
    vat_category: str | None
    vat_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """One VAT breakdown (BG-23): BT-118 category, BT-119 rate, BT-116 basis, BT-117 tax."""

    category: str | None
    rate: Decimal | None
    basis: Decimal | None
    amount: Decimal | None
    exemption_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    """Document totals (BG-22), BT-106 to BT-115."""

    line_total: Decimal | None
    allowance_total: Decimal | None
    charge_total: Decimal | None
    tax_basis: Decimal | None
    tax_total: Decimal | None
    grand_total: Decimal | None
    prepaid: Decimal | None
    rounding: Decimal | None
    payable: Decimal | None


@dataclass(frozen=True, slots=True)
class EInvoice:
    """The booking-relevant terms of one invoice or credit note.

    Attributes:
        syntax: "cii" (Factur-X / ZUGFeRD 2.x), "cii-zugferd1" or "ubl".
        specification: BT-24, the profile or CIUS the file claims.
        type_code: BT-3 (380 invoice, 381 credit note ...).
        credit: true for a credit note (by type code or the UBL CreditNote root).

    """

    syntax: str
    specification: str | None
    number: str | None
    type_code: str | None
    credit: bool
    issue_date: dt.date | None
    due_date: dt.date | None
    currency: str | None
    seller: Party
    buyer: Party
    lines: tuple[InvoiceLine, ...]
    allowances_charges: tuple[AllowanceCharge, ...]
    vat: tuple[VatBreakdown, ...]
    totals: Totals
    payment_terms: str | None = None
    ibans: tuple[str, ...] = ()
    order_reference: str | None = None
    buyer_reference: str | None = None

    @property
    def allowances(self) -> tuple[AllowanceCharge, ...]:
        """Document-level allowances."""
        return tuple(a for a in self.allowances_charges if not a.charge)

    @property
    def charges(self) -> tuple[AllowanceCharge, ...]:
        """Document-level charges."""
        return tuple(a for a in self.allowances_charges if a.charge)
