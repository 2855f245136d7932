"""Money moving through payment processors: payments, refunds, fees, payouts, disputes."""

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
)
from ledgerbridge.money import Money

__all__ = [
    "BalanceTransaction",
    "Dispute",
    "Fee",
    "Payment",
    "PaymentApplication",
    "PaymentMethod",
    "Payout",
    "Refund",
]

PaymentMethod = Literal[
    "card",
    "bank_transfer",
    "direct_debit",
    "check",
    "cash",
    "paypal",
    "wallet",
    "gift_card",
    "other",
]
"""How money was paid."""


def _positive(model: CanonicalModel, *names: str) -> None:
    for name in names:
        value = getattr(model, name)
        if isinstance(value, Money) and value.minor <= 0:
            message = f"{name} must be positive, got {value.text()}"
            raise _field_error((name,), "not_positive", message, value.text())


def _not_negative(model: CanonicalModel, *names: str) -> None:
    for name in names:
        value = getattr(model, name)
        if isinstance(value, Money) and value.minor < 0:
            message = f"{name} must not be negative, got {value.text()}"
            raise _field_error((name,), "negative", message, value.text())


class PaymentApplication(CanonicalModel):
    """The part of a payment applied to one invoice, bill or credit note.

    Attributes:
        document: the invoice (or bill, credit note) paid.
        document_type: which kind of document ``document`` refers to.
        amount: the part applied to it, in the payment's currency.

    """

    document: Ref
    document_type: Literal["invoice", "bill", "credit_note"] = "invoice"
    amount: Amount

    @model_validator(mode="after")
    def _positive_amount(self) -> PaymentApplication:
        _positive(self, "amount")
        return self


class Payment(Document):
    """Money received from a customer or paid to a vendor.

    A payment may be applied to several documents, each partially; the applications
    add up to at most ``amount``, and the rest stays unapplied (a prepayment or credit).

    Attributes:
        direction: received (from a customer) or sent (to a vendor).
        contact: who paid or was paid.
        amount: the gross amount paid, positive.
        fee: the processor's fee withheld from it, when known.
        processor: the processor that carried it ("stripe", "paypal").
        deposit_account: account hint where the money landed.
        reference: the processor's or bank's reference.

    """

    type: Literal["payment"] = "payment"
    direction: Literal["received", "sent"] = "received"
    date: dt.date
    amount: Amount
    currency: CurrencyCode
    exchange_rate: ExchangeRate | None = None
    method: PaymentMethod = "other"
    contact: Ref | None = None
    applications: tuple[PaymentApplication, ...] = ()
    fee: Amount | None = None
    processor: str | None = None
    deposit_account: str | None = None
    reference: str | None = None
    memo: str | None = None

    @model_validator(mode="after")
    def _applications_fit(self) -> Payment:
        _positive(self, "amount")
        _not_negative(self, "fee")
        applied = sum((a.amount.minor for a in self.applications), 0)
        if applied > self.amount.minor:
            raise _field_error(
                ("applications",),
                "overapplied",
                f"applications add up to {Money(applied, self.currency).text()}, more than the "
                f"payment amount {self.amount.text()}",
                None,
            )
        return self

    @property
    def unapplied(self) -> Money:
        """The part of the payment not applied to any document."""
        return self.amount - Money(sum(a.amount.minor for a in self.applications), self.currency)


class Refund(Document):
    """Money returned to a customer (or by a vendor, when ``direction`` is received).

    Attributes:
        payment: the payment refunded, when known.
        credit_note: the credit note the refund settles, when there is one.
        order: the shop order it belongs to.
        fee: processor fee on the refund, or a negative value for a fee returned to us.

    """

    type: Literal["refund"] = "refund"
    direction: Literal["sent", "received"] = "sent"
    date: dt.date
    amount: Amount
    currency: CurrencyCode
    exchange_rate: ExchangeRate | None = None
    method: PaymentMethod = "other"
    contact: Ref | None = None
    payment: Ref | None = None
    credit_note: Ref | None = None
    order: Ref | None = None
    fee: Amount | None = None
    processor: str | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _positive_amount(self) -> Refund:
        _positive(self, "amount")
        return self


class Fee(Document):
    """A charge by a processor or bank not withheld from a single payment.

    Attributes:
        kind: what the fee is for.
        amount: the fee, positive; a fee credited back is negative.
        related: the payment, dispute or payout it relates to, if any.
        account: account hint for the expense.

    """

    type: Literal["fee"] = "fee"
    kind: Literal["processing", "dispute", "payout", "subscription", "currency_conversion", "other"]
    date: dt.date
    amount: Amount
    currency: CurrencyCode
    processor: str | None = None
    related: Ref | None = None
    account: str | None = None
    description: str | None = None


class Dispute(Document):
    """A chargeback: the processor withdraws a disputed payment, perhaps returning it later.

    Attributes:
        payment: the disputed payment.
        amount: the amount withdrawn, positive.
        fee: the dispute fee charged.
        status: open while contested; won returns the funds, lost keeps them withdrawn.

    """

    type: Literal["dispute"] = "dispute"
    payment: Ref
    opened_date: dt.date
    amount: Amount
    currency: CurrencyCode
    fee: Amount | None = None
    status: Literal["open", "won", "lost"] = "open"
    reason: str | None = None
    processor: str | None = None

    @model_validator(mode="after")
    def _positive_amount(self) -> Dispute:
        _positive(self, "amount")
        _not_negative(self, "fee")
        return self


class BalanceTransaction(CanonicalModel):
    """One movement of a processor balance that a payout settles.

    Attributes:
        kind: the processor's movement type, normalized.
        gross: the amount before fees (negative for refunds and withdrawals).
        fee: fees on it (positive is a cost).
        net: gross - fee.
        related: the document it settles (payment, refund, dispute, fee).

    """

    external_id: str | None = None
    kind: Literal["payment", "refund", "dispute", "fee", "adjustment", "transfer", "other"]
    created: dt.datetime | None = None
    gross: Amount
    fee: Amount
    net: Amount
    related: Ref | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _net(self) -> BalanceTransaction:
        if self.gross - self.fee != self.net:
            raise _field_error(
                ("net",),
                "totals_mismatch",
                f"net is {self.net.text()} but gross {self.gross.text()} - fee "
                f"{self.fee.text()} = {(self.gross - self.fee).text()}",
                self.net.text(),
            )
        return self


class Payout(Document):
    """A transfer from a processor balance to our bank account.

    ``gross - fees == net``; a negative net is a withdrawal from the bank. The listed
    balance transactions should add up to the payout, but a processor's data can
    disagree with itself: such a payout still posts (the money moved), and the payout
    report (``reconcile.payouts``) shows the difference for someone to look into.

    Attributes:
        processor: who paid out ("stripe", "shopify_payments").
        date: when the payout was created.
        arrival_date: when it is expected in (or reached) the bank.
        destination: account hint of the receiving bank account.

    """

    type: Literal["payout"] = "payout"
    processor: str = Field(min_length=1)
    date: dt.date
    arrival_date: dt.date | None = None
    status: Literal["pending", "in_transit", "paid", "failed", "canceled"] = "paid"
    currency: CurrencyCode
    gross: Amount
    fees: Amount
    net: Amount
    destination: str | None = None
    balance_transactions: tuple[BalanceTransaction, ...] = ()

    @model_validator(mode="after")
    def _adds_up(self) -> Payout:
        if self.gross - self.fees != self.net:
            raise _field_error(
                ("net",),
                "totals_mismatch",
                f"net is {self.net.text()} but gross {self.gross.text()} - fees "
                f"{self.fees.text()} = {(self.gross - self.fees).text()}",
                self.net.text(),
            )
        return self
