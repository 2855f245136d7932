"""The EN 16931 business rules that decide whether an invoice can be booked.

Each broken rule gives a :class:`Finding` with the rule's id and the figures it
compared. Arithmetic is exact (``Decimal``); the only tolerance is the one the
per-rate VAT rules allow: the VAT of a category may differ from basis x rate,
rounded half up to the minor unit, by one minor unit (0.01 EUR).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ledgerbridge.intake.einvoice.model import EInvoice, VatBreakdown
from ledgerbridge.money import MoneyError, currency_exponent

__all__ = ["Finding", "check"]

_ZERO = Decimal(0)

# The rule family of each VAT category (UNCL 5305) and whether its tax is basis x rate.
_CATEGORIES = {"S": ("BR-S", True), "Z": ("BR-Z", False), "E": ("BR-E", False),
               "AE": ("BR-AE", False), "K": ("BR-IC", False), "G": ("BR-G", False),
               "O": ("BR-O", False), "L": ("BR-AF", True), "M": ("BR-AG", True)}

# Amounts that must fit the currency's minor unit, with their BR-DEC rule.
_DECIMALS = {"line_total": ("BR-DEC-09", "BT-106"), "allowance_total": ("BR-DEC-10", "BT-107"),
             "charge_total": ("BR-DEC-11", "BT-108"), "tax_basis": ("BR-DEC-12", "BT-109"),
             "tax_total": ("BR-DEC-13", "BT-110"), "grand_total": ("BR-DEC-14", "BT-112"),
             "prepaid": ("BR-DEC-16", "BT-113"), "rounding": ("BR-DEC-17", "BT-114"),
             "payable": ("BR-DEC-18", "BT-115")}


@dataclass(frozen=True, slots=True)
class Finding:
    """A broken rule: its EN 16931 id and what was found, with the figures."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def check(invoice: EInvoice) -> tuple[Finding, ...]:
    """Every booking rule ``invoice`` breaks; empty when it can be booked."""
    return (*_mandatory(invoice), *_decimals(invoice), *_sums(invoice), *_vat(invoice),
            *_booking(invoice))


def _booking(inv: EInvoice) -> Iterator[Finding]:
    """Our own checks (``LB-``): terms the standard leaves open but a ledger cannot."""
    if inv.due_date and inv.issue_date and inv.due_date < inv.issue_date:
        yield Finding("LB-01", f"the due date (BT-9) {inv.due_date} is before the issue date "
                      f"(BT-2) {inv.issue_date}")


def _mandatory(inv: EInvoice) -> Iterator[Finding]:
    required = (("BR-02", "invoice number (BT-1)", inv.number),
                ("BR-03", "issue date (BT-2)", inv.issue_date),
                ("BR-04", "invoice type code (BT-3)", inv.type_code),
                ("BR-05", "invoice currency (BT-5)", inv.currency),
                ("BR-06", "seller name (BT-27)", inv.seller.name),
                ("BR-07", "buyer name (BT-44)", inv.buyer.name),
                ("BR-12", "sum of line net amounts (BT-106)", inv.totals.line_total),
                ("BR-13", "total without VAT (BT-109)", inv.totals.tax_basis),
                ("BR-14", "total with VAT (BT-112)", inv.totals.grand_total),
                ("BR-15", "amount due (BT-115)", inv.totals.payable))
    for rule, what, value in required:
        if value is None:
            yield Finding(rule, f"the {what} is missing")
    if inv.currency is not None:
        try:
            currency_exponent(inv.currency)
        except MoneyError:
            yield Finding("BR-CL-04", f"currency {inv.currency!r} is not an ISO 4217 code")
    if not inv.lines:
        yield Finding("BR-16", "the invoice has no lines (BG-25)")
    for number, line in enumerate(inv.lines, 1):
        if line.net_amount is None:
            yield Finding("BR-24", f"line {line.id or number} has no net amount (BT-131)")
    if not inv.vat:
        yield Finding("BR-CO-18", "the invoice has no VAT breakdown (BG-23)")


def _decimals(inv: EInvoice) -> Iterator[Finding]:
    try:
        places = currency_exponent(inv.currency or "")
    except MoneyError:
        return
    amounts = [(rule, f"{term} of {value:f}", value)
               for name, (rule, term) in _DECIMALS.items()
               if (value := getattr(inv.totals, name)) is not None]
    amounts += [("BR-DEC-23", f"net amount (BT-131) {line.net_amount:f} of line {line.id}",
                 line.net_amount) for line in inv.lines if line.net_amount is not None]
    amounts += [("BR-DEC-01" if not ac.charge else "BR-DEC-05",
                 f"document {'charge' if ac.charge else 'allowance'} {ac.amount:f}", ac.amount)
                for ac in inv.allowances_charges if ac.amount is not None]
    for vat in inv.vat:
        for rule, term, value in (("BR-DEC-19", "VAT basis (BT-116)", vat.basis),
                                  ("BR-DEC-20", "VAT amount (BT-117)", vat.amount)):
            if value is not None:
                amounts.append((rule, f"{term} {value:f} of {_label(vat)}", value))
    for rule, what, value in amounts:
        if value != value.quantize(Decimal(1).scaleb(-places)):
            yield Finding(rule, f"{what} has more than {places} decimals")


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), _ZERO)


def _sums(inv: EInvoice) -> Iterator[Finding]:
    t = inv.totals
    lines = _sum(line.net_amount for line in inv.lines)
    allowances = _sum(a.amount for a in inv.allowances)
    charges = _sum(c.amount for c in inv.charges)
    allowance_total = t.allowance_total or _ZERO
    charge_total = t.charge_total or _ZERO
    vat = _sum(v.amount for v in inv.vat)
    tax_total = t.tax_total or _ZERO
    if t.line_total is not None and inv.lines and lines != t.line_total:
        yield Finding("BR-CO-10", f"the line net amounts add up to {lines:f}, but the sum of "
                      f"line net amounts (BT-106) is {t.line_total:f}")
    if allowances != allowance_total:
        yield Finding("BR-CO-11", f"the document allowances add up to {allowances:f}, but the "
                      f"allowance total (BT-107) is {allowance_total:f}")
    if charges != charge_total:
        yield Finding("BR-CO-12", f"the document charges add up to {charges:f}, but the "
                      f"charge total (BT-108) is {charge_total:f}")
    if t.tax_basis is not None and t.line_total is not None:
        basis = t.line_total - allowance_total + charge_total
        if basis != t.tax_basis:
            yield Finding("BR-CO-13", f"total without VAT (BT-109) is {t.tax_basis:f}, but line "
                          f"total {t.line_total:f} - allowances {allowance_total:f} + charges "
                          f"{charge_total:f} = {basis:f}")
    if inv.vat and vat != tax_total:
        yield Finding("BR-CO-14", f"the VAT total (BT-110) is {tax_total:f}, but the VAT "
                      f"breakdown amounts add up to {vat:f}")
    if t.grand_total is not None and t.tax_basis is not None:
        grand = t.tax_basis + tax_total
        if grand != t.grand_total:
            yield Finding("BR-CO-15", f"total with VAT (BT-112) is {t.grand_total:f}, but total "
                          f"without VAT {t.tax_basis:f} + VAT {tax_total:f} = {grand:f}")
    if t.payable is not None and t.grand_total is not None:
        prepaid, rounding = t.prepaid or _ZERO, t.rounding or _ZERO
        payable = t.grand_total - prepaid + rounding
        if payable != t.payable:
            yield Finding("BR-CO-16", f"amount due (BT-115) is {t.payable:f}, but total with VAT "
                          f"{t.grand_total:f} - prepaid {prepaid:f} + rounding {rounding:f} = "
                          f"{payable:f}")


def _key(category: str | None, rate: Decimal | None) -> tuple[str | None, Decimal]:
    return category, rate if rate is not None else _ZERO


def _label(vat: VatBreakdown) -> str:
    rate = f" {vat.rate:f} %" if vat.rate is not None else ""
    return f"VAT category {vat.category}{rate}"


def _vat(inv: EInvoice) -> Iterator[Finding]:
    try:
        places = currency_exponent(inv.currency or "")
    except MoneyError:
        return
    unit = Decimal(1).scaleb(-places)
    bases: dict[tuple[str | None, Decimal], Decimal] = {}
    for line in inv.lines:
        key = _key(line.vat_category, line.vat_rate)
        bases[key] = bases.get(key, _ZERO) + (line.net_amount or _ZERO)
    for ac in inv.allowances_charges:
        key = _key(ac.vat_category, ac.vat_rate)
        bases[key] = bases.get(key, _ZERO) + (ac.amount or _ZERO) * (1 if ac.charge else -1)
    for vat in inv.vat:
        family, rated = _CATEGORIES.get(vat.category or "", ("BR-CO", True))
        label = _label(vat)
        if vat.basis is None:
            yield Finding("BR-45", f"{label} has no taxable amount (BT-116)")
        if vat.amount is None:
            yield Finding("BR-46", f"{label} has no VAT amount (BT-117)")
        if vat.basis is None or vat.amount is None:
            continue
        expected_basis = bases.get(_key(vat.category, vat.rate))
        if family != "BR-CO" and inv.lines and expected_basis != vat.basis:
            found = f"{expected_basis:f}" if expected_basis is not None else "nothing"
            yield Finding(f"{family}-08", f"{label}: basis (BT-116) is {vat.basis:f}, but its "
                          f"lines, charges and allowances add up to {found}")
        if rated:
            exact = vat.basis * (vat.rate or _ZERO) / 100
            expected = exact.quantize(unit, ROUND_HALF_UP)
            if abs(vat.amount - expected) > unit:
                rule = "BR-CO-17" if family == "BR-CO" else f"{family}-09"
                yield Finding(rule, f"{label}: VAT (BT-117) is {vat.amount:f}, but basis "
                              f"{vat.basis:f} x {vat.rate or _ZERO:f} % = {expected:f} "
                              f"(tolerance {unit:f})")
        elif vat.amount != 0:
            yield Finding(f"{family}-09", f"{label}: VAT (BT-117) is {vat.amount:f}, but this "
                          "category carries no VAT")
    stated = {_key(vat.category, vat.rate) for vat in inv.vat}
    for (category, rate), basis in bases.items():
        family = _CATEGORIES.get(category or "", ("BR-CO",))[0]
        if (category, rate) not in stated and family != "BR-CO":
            yield Finding(f"{family}-08", f"lines, charges and allowances in VAT category "
                          f"{category} {rate:f} % add up to {basis:f}, but no VAT breakdown "
                          "has that category and rate")
