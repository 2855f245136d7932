"""A won deal becomes an invoice; what a deal changed or re-opened later does to it.

The CRM sends deals; the ledger decides what they mean, following the mapping's
``deals`` policy. The derived documents carry the deal's source (same connection and
external id, object type ``deal``), so the invoice's entry traces back to the deal
event and write-backs reach the deal. Nothing is ever duplicated silently: a deal
changed after invoicing is either stopped for a person to decide or reissued (the
old entry reversed, a new number), and a deal re-opened after invoicing is credited
in full or stopped. A credited deal that is won again gets its credit note voided
(the invoice stands again) or, if it changed meanwhile, follows ``on_change``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_EVEN
from typing import TYPE_CHECKING

from ledgerbridge.documents import CreditNote, Deal, Document, Invoice, Ref, Source
from ledgerbridge.documents.lines import Line, PaymentTerms, TaxLine
from ledgerbridge.money import Money, currency_exponent
from ledgerbridge.sync.errors import FatalError, MissingDependency

if TYPE_CHECKING:
    from ledgerbridge.mapping._schema import DealPolicy
    from ledgerbridge.sync.apply import Lookup

__all__ = ["documents_for_deal"]


def documents_for_deal(deal: Deal, policy: DealPolicy, lookup: Lookup) -> list[Document]:
    """The invoice or credit-note documents that this version of ``deal`` calls for."""
    if not policy.invoice:
        return []
    invoice = _current(lookup, "invoice", deal.source.external_id)
    credit = _current(lookup, "credit_note", deal.source.external_id)
    credited = credit is not None and credit.status != "void"
    if not deal.won:
        if invoice is None or invoice.status == "void" or credited:
            return []
        if policy.on_reopen == "exception":
            raise _exception(deal, f"it was re-opened ({deal.stage}) after invoice "
                                   f"{invoice.number} was issued")
        return [_credit_note(deal, invoice)]
    fresh = _invoice(deal, policy, number=None if invoice is None else invoice.number)
    if invoice is None:
        return [fresh]
    if _same_sale(fresh, invoice):
        return [_void(credit, deal)] if credited else []
    if policy.on_change == "exception":
        raise _exception(deal, f"its amount or lines changed after invoice {invoice.number} "
                               f"was issued ({invoice.total.text()} -> {fresh.total.text()})")
    reissued = Invoice.model_validate({**fresh.model_dump(), "number": _next_number(invoice.number),
                                       "issue_date": _changed_on(deal)})
    return [_void(credit, deal), reissued] if credited else [reissued]


def _current(lookup: Lookup, type_: str, external_id: str) -> Document | None:
    try:
        return lookup(type_, external_id)
    except MissingDependency:
        return None


def _source(deal: Deal) -> Source:
    source = deal.source
    return Source(connection=source.connection, object_type="deal",
                  external_id=source.external_id, updated_at=source.updated_at)


def _changed_on(deal: Deal) -> dt.date:
    stamp = deal.source.updated_at
    return stamp.date() if stamp else deal.close_date or dt.date.today()


def _invoice(deal: Deal, policy: DealPolicy, number: str | None) -> Invoice:
    customer = deal.company or (deal.contacts[0] if deal.contacts else None)
    if customer is None:
        raise _exception(deal, "it was won but names no company or contact to invoice")
    lines = deal.lines
    if not lines:
        if deal.amount is None:
            raise _exception(deal, "it was won but has neither line items nor an amount")
        lines = (Line(description=deal.name, amount=deal.amount),)
    if policy.tax_jurisdiction is not None:
        lines = tuple(_taxed(line, policy) for line in lines)
    return Invoice(
        source=_source(deal),
        number=number or f"{policy.number_prefix}{deal.source.external_id}",
        issue_date=deal.close_date or _changed_on(deal),
        payment_terms=deal.payment_terms or PaymentTerms(net_days=policy.payment_terms_days),
        customer=customer,
        currency=deal.currency,
        exchange_rate=deal.exchange_rate,
        lines=lines,
        memo=f"Deal {deal.name}",
    )


def _taxed(line: Line, policy: DealPolicy) -> Line:
    """The line with the policy's tax added, unless it carries tax of its own."""
    if line.tax_lines or policy.tax_percent is None or policy.tax_jurisdiction is None:
        return line
    net = line.net_amount
    exponent = currency_exponent(net.currency)
    exact = net.decimal * policy.tax_percent / 100
    minor = int(exact.scaleb(exponent).quantize(1, rounding=ROUND_HALF_EVEN))
    tax = TaxLine(jurisdiction=policy.tax_jurisdiction, percent=policy.tax_percent,
                  amount=Money(minor, net.currency), taxable_amount=net)
    return line.model_copy(update={"tax_lines": (tax,)})


def _same_sale(fresh: Invoice, issued: Invoice) -> bool:
    """Whether the deal still says what the issued invoice says (dates aside)."""
    keys = {"customer", "currency", "exchange_rate", "lines", "total"}
    return fresh.model_dump(include=keys) == issued.model_dump(include=keys)


def _credit_note(deal: Deal, invoice: Invoice) -> CreditNote:
    return CreditNote(
        source=_source(deal),
        number=f"CN-{invoice.number}",
        issue_date=_changed_on(deal),
        customer=invoice.customer,
        invoice=Ref(external_id=invoice.source.external_id, name=invoice.number),
        currency=invoice.currency,
        exchange_rate=invoice.exchange_rate,
        lines=invoice.lines,
        tax_lines=invoice.tax_lines,
        reason=f"deal {deal.name} re-opened ({deal.stage})",
    )


def _void(credit: Document | None, deal: Deal) -> Document:
    if not isinstance(credit, CreditNote):
        raise TypeError("only a credit note is voided here")
    return credit.model_copy(update={"status": "void", "source": _source(deal)})


def _next_number(number: str | None) -> str:
    """INV-7 -> INV-7/2 -> INV-7/3: a reissued invoice never reuses a number."""
    match = re.fullmatch(r"(.*)/(\d+)", number or "")
    if match:
        return f"{match[1]}/{int(match[2]) + 1}"
    return f"{number}/2"


def _exception(deal: Deal, reason: str) -> FatalError:
    return FatalError(f"deal {deal.name!r}: {reason}; decide by hand, or set the mapping's "
                      "deals policy")
