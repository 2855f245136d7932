"""What we sell: invoices, credit notes, shop orders and CRM deals."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from ledgerbridge.documents.common import (
    Amount,
    CanonicalModel,
    CurrencyCode,
    Document,
    ExchangeRate,
    Ref,
    _field_error,
    _fill,
)
from ledgerbridge.documents.lines import (
    ItemizedDocument,
    Line,
    PaymentTerms,
    TaxLine,
    _DueDocument,
)
from ledgerbridge.money import Money

__all__ = [
    "CreditNote",
    "Deal",
    "GiftCardPayment",
    "Invoice",
    "Order",
    "OrderRefund",
    "PresentmentTotals",
    "ShippingLine",
]


class Invoice(_DueDocument):
    """A sales invoice to a customer.

    Attributes:
        customer: the contact invoiced.
        status: draft and void invoices are not posted; paid is informational.
        reference: the customer's purchase-order number or similar.
        due_date: computed from ``payment_terms.net_days`` when absent.

    """

    type: Literal["invoice"] = "invoice"
    customer: Ref
    status: Literal["draft", "open", "paid", "void"] = "open"
    reference: str | None = None


class CreditNote(_DueDocument):
    """A credit note to a customer, optionally against one invoice.

    Attributes:
        invoice: the invoice it credits, when it credits one.
        reason: why it was issued.

    """

    type: Literal["credit_note"] = "credit_note"
    customer: Ref
    invoice: Ref | None = None
    status: Literal["draft", "open", "applied", "void"] = "open"
    reason: str | None = None


class ShippingLine(CanonicalModel):
    """A shipping charge on an order.

    Attributes:
        title: the shipping method as shown to the buyer.
        amount: the charge before discount.
        discount: discount on the shipping charge.
        tax_lines: tax on shipping per jurisdiction.

    """

    title: str | None = None
    amount: Amount
    discount: Amount | None = None
    tax_lines: tuple[TaxLine, ...] = ()


class GiftCardPayment(CanonicalModel):
    """Part of an order paid with a gift card (a payment method, not a discount).

    Attributes:
        gift_card: the card, usually by the source's id; last_characters as printed.

    """

    gift_card: Ref | None = None
    last_characters: str | None = None
    amount: Amount


class OrderRefund(CanonicalModel):
    """A refund recorded on an order; the money movement is a separate Refund document.

    Attributes:
        refund: the Refund document, when known.
        restock: whether the goods went back to stock.

    """

    refund: Ref | None = None
    date: dt.date
    amount: Amount
    note: str | None = None
    restock: bool = False


class PresentmentTotals(CanonicalModel):
    """An order's totals in the currency the buyer saw, when it differs from the shop's."""

    currency: CurrencyCode
    subtotal: Amount | None = None
    discount_total: Amount | None = None
    shipping_total: Amount | None = None
    tax_total: Amount | None = None
    total: Amount


class Order(ItemizedDocument):
    """A shop order.

    Amounts are in the shop currency (``currency``); ``presentment`` holds the totals
    in the currency the buyer paid in, when it differs. Shipping is added to the total
    after its discount. Gift cards pay part of the total; they do not reduce it.

    Attributes:
        financial_status: the payment state as the shop reports it.
        shipping_total: sum of shipping lines less their discounts; computed when absent.
        summarized_in: the summary document that posts this order (a shop posting one
            summary per day); the order is then kept for the record and posts nothing.

    """

    type: Literal["order"] = "order"
    number: str | None = None
    customer: Ref | None = None
    order_date: dt.date
    financial_status: Literal[
        "pending",
        "authorized",
        "partially_paid",
        "paid",
        "partially_refunded",
        "refunded",
        "voided",
    ] = "pending"
    cancelled: bool = False
    shipping_lines: tuple[ShippingLine, ...] = ()
    shipping_total: Amount | None = None
    presentment: PresentmentTotals | None = None
    gift_cards: tuple[GiftCardPayment, ...] = ()
    refunds: tuple[OrderRefund, ...] = ()
    note: str | None = None
    summarized_in: Ref | None = None

    def _extra_charges(self) -> list[tuple[str, Money]]:
        zero = Money.zero(self.currency)
        shipping = zero
        for line in self.shipping_lines:
            shipping = shipping + line.amount - (line.discount or zero)
        if self.shipping_total is not None and self.shipping_total != shipping:
            raise _field_error(
                ("shipping_total",),
                "totals_mismatch",
                f"shipping_total is {self.shipping_total.text()} but the shipping lines add "
                f"up to {shipping.text()}",
                self.shipping_total.text(),
            )
        _fill(self, "shipping_total", shipping)
        return [("shipping", shipping)] if self.shipping_lines else []

    def _extra_tax(self) -> list[Money]:
        return [tax.amount for line in self.shipping_lines for tax in line.tax_lines]

    @model_validator(mode="after")
    def _paid_and_refunded(self) -> Order:
        total = self.total or Money.zero(self.currency)
        for name, parts in (("gift_cards", self.gift_cards), ("refunds", self.refunds)):
            paid = sum((p.amount.minor for p in parts), 0)
            if paid > total.minor:
                raise _field_error(
                    (name,),
                    "exceeds_total",
                    f"{name} add up to {Money(paid, self.currency).text()}, more than the "
                    f"order total {total.text()}",
                    None,
                )
        return self


class Deal(Document):
    """A CRM deal (opportunity).

    Attributes:
        stage: the pipeline stage as the CRM names it.
        status: open, won or lost; ``won`` is the won flag.
        amount: the deal value, as the CRM states it (not recomputed from lines).
        company, contacts: who the deal is with.
        payment_terms: the terms the CRM record carries, for the invoice a won deal
            becomes (the mapping's ``deals.payment_terms_days`` otherwise).

    """

    type: Literal["deal"] = "deal"
    name: str = Field(min_length=1)
    pipeline: str | None = None
    stage: str
    status: Literal["open", "won", "lost"] = "open"
    amount: Amount | None = None
    currency: CurrencyCode
    exchange_rate: ExchangeRate | None = None
    close_date: dt.date | None = None
    company: Ref | None = None
    contacts: tuple[Ref, ...] = ()
    owner: str | None = None
    lines: tuple[Line, ...] = ()
    payment_terms: PaymentTerms | None = None

    @property
    def won(self) -> bool:
        """True when the deal was won."""
        return self.status == "won"
