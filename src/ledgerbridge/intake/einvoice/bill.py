"""An e-invoice that passed the checks, as a canonical Bill.

Invoice lines become Bill lines at their net amount (BT-131) with their quantity;
document-level charges and allowances become lines of their own, so the Bill's
subtotal is the total without VAT (BT-109). VAT is one document-level tax line per
category and rate, so the Bill's total is the total with VAT (BT-112). A supplier's
credit note becomes a Bill with every amount negated: posting it reverses expense,
VAT and payable.
"""

from __future__ import annotations

from decimal import Decimal

from ledgerbridge.documents import Bill, Line, PaymentTerms, Ref, Source, TaxLine
from ledgerbridge.intake.einvoice.model import EInvoice, EInvoiceError
from ledgerbridge.money import Money

__all__ = ["to_bill", "vendor_key"]

SOURCE_CONNECTION = "intake"


def to_bill(invoice: EInvoice, file_sha256: str, *,
            exchange_rate: Decimal | None = None) -> Bill:
    """The Bill for ``invoice``, read from the file whose SHA-256 is ``file_sha256``.

    Call it only on an invoice that ``check`` passed; raises EInvoiceError when a
    term the Bill needs is missing.
    """
    currency, seller = invoice.currency, invoice.seller
    if currency is None or invoice.issue_date is None or seller.name is None:
        raise EInvoiceError("currency, issue date and seller name are needed for a bill")
    sign = -1 if invoice.credit else 1

    def money(value: Decimal | None) -> Money:
        return Money.parse(sign * (value or Decimal(0)), currency)

    lines = [Line(description=line.name, quantity=line.quantity or Decimal(1),
                  amount=money(line.net_amount)) for line in invoice.lines]
    lines += [Line(description=f"{'Charge' if ac.charge else 'Allowance'}: "
                   f"{ac.reason or 'document level'}",
                   amount=money(ac.amount if ac.charge else -(ac.amount or 0)))
              for ac in invoice.allowances_charges]
    country = seller.country or invoice.buyer.country or "VAT"
    taxes = [TaxLine(jurisdiction=f"{country}-{vat.category}-{_rate(vat.rate)}", name="VAT",
                     tax_code=vat.category, percent=vat.rate, amount=money(vat.amount),
                     taxable_amount=money(vat.basis)) for vat in invoice.vat]
    t = invoice.totals
    notes = [("credit note" if invoice.credit else None),
             (f"order {invoice.order_reference}" if invoice.order_reference else None),
             (f"prepaid {t.prepaid:f}" if t.prepaid else None),
             (f"IBAN {', '.join(invoice.ibans)}" if invoice.ibans else None)]
    return Bill(
        source=Source(connection=SOURCE_CONNECTION, object_type=f"einvoice/{invoice.syntax}",
                      external_id=file_sha256),
        vendor=Ref(external_id=vendor_key(invoice), name=seller.name),
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        payment_terms=PaymentTerms(name=invoice.payment_terms) if invoice.payment_terms else None,
        currency=currency,
        exchange_rate=exchange_rate,
        lines=tuple(lines),
        tax_lines=tuple(taxes),
        subtotal=money(t.tax_basis),
        tax_total=money(t.tax_total),
        total=money(t.grand_total),
        memo="; ".join(n for n in notes if n) or None,
    )


def vendor_key(invoice: EInvoice) -> str | None:
    """Who the supplier is, for the ledger: VAT id, else legal id, else name."""
    seller = invoice.seller
    return seller.vat_id or seller.legal_id or seller.name


def _rate(rate: Decimal | None) -> str:
    return f"{(rate or Decimal(0)).normalize():f}"
