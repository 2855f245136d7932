"""Lines of itemized documents (invoices, bills, orders ...) and how their totals add up.

Every line has an ``amount`` (quantity times unit price, before discount), an optional
discount and tax lines per jurisdiction. A document's totals are:

- ``subtotal``: the sum of line amounts;
- ``discount_total``: the sum of line discounts;
- ``tax_total``: the sum of tax lines, on the lines and on the document;
- ``total``: subtotal - discount_total + tax_total (+ shipping for orders). When
  ``amounts_include_tax`` is true, line amounts already include tax and the tax is
  not added again.

Totals given by the source must agree with the lines to the minor unit; totals left
out are computed. Tax is never recomputed from percentages: tax engines round per
line or per document, so the tax amounts given are the ones used.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from ledgerbridge.documents.common import (
    Amount,
    CanonicalModel,
    CurrencyCode,
    Document,
    ExchangeRate,
    Percent,
    Quantity,
    Ref,
    _field_error,
    _fill,
    _non_empty,
)
from ledgerbridge.money import Money, currency_exponent

__all__ = ["Discount", "ItemizedDocument", "Line", "PaymentTerms", "TaxLine"]


def _minor_units(value: Decimal, currency: str, rounding: str) -> int:
    return int(value.scaleb(currency_exponent(currency)).quantize(Decimal(1), rounding))


def _roundings(exact_major: Decimal, currency: str) -> set[int]:
    """Minor-unit values that are a rounding of ``exact_major`` (one, or floor and ceiling)."""
    return {
        _minor_units(exact_major, currency, ROUND_FLOOR),
        _minor_units(exact_major, currency, ROUND_CEILING),
    }


class TaxLine(CanonicalModel):
    """Tax charged for one jurisdiction.

    Attributes:
        jurisdiction: where the tax is owed, e.g. "US-CA", "GB", "CA-QC".
        name: the tax's name as printed ("VAT", "GST", "County tax").
        tax_code: the tax rate's code in the source or in our tax rates.
        percent: the rate applied, for information; the amount is authoritative.
        amount: the tax charged.
        taxable_amount: the amount the tax was computed on, when known.

    """

    jurisdiction: str = Field(min_length=1)
    name: str | None = None
    tax_code: str | None = None
    percent: Percent | None = None
    amount: Amount
    taxable_amount: Amount | None = None


class Discount(CanonicalModel):
    """A discount on a line, as an amount, a percent of the line amount, or both.

    Given only a percent, the amount is computed (rounded half-even); given both,
    the amount must be a rounding of the percent.
    """

    amount: Amount | None = None
    percent: Percent | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _amount_or_percent(self) -> Discount:
        if self.amount is None and self.percent is None:
            raise PydanticCustomError("discount_missing", "a discount needs `amount` or `percent`")
        return self


class Line(CanonicalModel):
    """One line of an itemized document.

    Attributes:
        description: what was sold or bought.
        quantity: exact decimal quantity (default 1).
        unit_price: price of one unit, before discount.
        amount: quantity x unit_price; computed (half-even) when absent, and when given
            it must be that product or one of its two roundings to the minor unit.
        discount: discount on this line; its amount is always set after validation.
        tax_lines: tax per jurisdiction on this line.
        account: account hint, a code or name in the chart ("4000", "Sales").
        item: the catalog item sold.

    """

    description: str | None = None
    quantity: Quantity = Decimal(1)
    unit_price: Amount | None = None
    amount: Amount | None = None
    discount: Discount | None = None
    tax_lines: tuple[TaxLine, ...] = ()
    account: str | None = None
    item: Ref | None = None

    @model_validator(mode="after")
    def _settle(self) -> Line:
        if self.amount is None and self.unit_price is None:
            raise PydanticCustomError("line_missing", "a line needs `amount` or `unit_price`")
        amount = self.amount
        if self.unit_price is not None:
            price = self.unit_price
            exact = self.quantity * price.decimal
            if amount is None:
                amount = Money(_minor_units(exact, price.currency, ROUND_HALF_EVEN), price.currency)
                _fill(self, "amount", amount)
            elif amount.minor not in _roundings(exact, price.currency):
                raise _field_error(
                    ("amount",),
                    "line_amount_mismatch",
                    f"amount {amount.text()} is not quantity {self.quantity} x unit_price "
                    f"{price.text()} = {exact.normalize():f}",
                    amount.text(),
                )
        if amount is None:  # unreachable: one of the two is set, checked above
            raise ValueError("a line needs `amount` or `unit_price`")
        if self.discount is not None and self.discount.percent is not None:
            exact = amount.decimal * self.discount.percent / 100
            given = self.discount.amount
            if given is None:
                minor = _minor_units(exact, amount.currency, ROUND_HALF_EVEN)
                discount = self.discount.model_copy()
                _fill(discount, "amount", Money(minor, amount.currency))
                _fill(self, "discount", discount)
            elif given.minor not in _roundings(exact, amount.currency):
                raise _field_error(
                    ("discount", "amount"),
                    "discount_mismatch",
                    f"discount amount {given.text()} is not {self.discount.percent} % of "
                    f"{amount.text()} = {exact.normalize():f}",
                    given.text(),
                )
        return self

    @property
    def line_amount(self) -> Money:
        """Quantity x unit price, before discount (always set after validation)."""
        if self.amount is None:
            raise ValueError("line amount is computed during validation")
        return self.amount

    @property
    def discount_amount(self) -> Money:
        """The discount on this line, zero when there is none."""
        if self.discount is None or self.discount.amount is None:
            return Money.zero(self.line_amount.currency)
        return self.discount.amount

    @property
    def tax_amount(self) -> Money:
        """The sum of this line's tax lines."""
        return _sum((t.amount for t in self.tax_lines), self.line_amount.currency)

    @property
    def net_amount(self) -> Money:
        """Line amount less discount."""
        return self.line_amount - self.discount_amount


def _sum(values: Any, currency: str) -> Money:
    total = Money.zero(currency)
    for value in values:
        total = total + value
    return total


class ItemizedDocument(Document):
    """A document made of lines with discounts and tax, whose totals must add up.

    Attributes:
        currency: ISO 4217 code of every amount in the document.
        exchange_rate: functional-currency units per one unit of ``currency``, if known.
        amounts_include_tax: true when line amounts are tax-inclusive prices.
        lines: at least one line.
        tax_lines: document-level tax per jurisdiction (for sources that give tax per
            document); put each tax on the lines or here, never both.
        subtotal, discount_total, tax_total, total: see the module docstring; computed
            when absent, always set after validation.

    """

    currency: CurrencyCode
    exchange_rate: ExchangeRate | None = None
    amounts_include_tax: bool = False
    lines: Annotated[tuple[Line, ...], AfterValidator(_non_empty)] = Field(
        json_schema_extra={"minItems": 1}
    )
    tax_lines: tuple[TaxLine, ...] = ()
    subtotal: Amount | None = None
    discount_total: Amount | None = None
    tax_total: Amount | None = None
    total: Amount | None = None

    def _extra_charges(self) -> list[tuple[str, Money]]:
        """Further components of the total besides lines (shipping); net of discounts."""
        return []

    def _extra_tax(self) -> list[Money]:
        """Tax on those further components, part of ``tax_total``."""
        return []

    @model_validator(mode="after")
    def _settle_totals(self) -> ItemizedDocument:
        cur = self.currency
        subtotal = _sum((line.line_amount for line in self.lines), cur)
        discounts = _sum((line.discount_amount for line in self.lines), cur)
        tax = (
            _sum((line.tax_amount for line in self.lines), cur)
            + _sum((t.amount for t in self.tax_lines), cur)
            + _sum(self._extra_tax(), cur)
        )
        extras = self._extra_charges()
        total = subtotal - discounts + _sum((m for _, m in extras), cur)
        if not self.amounts_include_tax:
            total = total + tax
        explain = f"subtotal {subtotal.text()} - discounts {discounts.text()}"
        explain += "".join(f" + {name} {m.text()}" for name, m in extras)
        explain += (
            f" (tax {tax.text()} included)" if self.amounts_include_tax else f" + tax {tax.text()}"
        )
        expected = {
            "subtotal": (subtotal, "the line amounts add up to"),
            "discount_total": (discounts, "the line discounts add up to"),
            "tax_total": (tax, "the tax lines add up to"),
            "total": (total, f"the lines add up to {explain} ="),
        }
        for name, (value, why) in expected.items():
            given = getattr(self, name)
            if given is None:
                _fill(self, name, value)
            elif given != value:
                raise _field_error(
                    (name,),
                    "totals_mismatch",
                    f"{name} is {given.text()} but {why} {value.text()}",
                    given.text(),
                )
        return self


class PaymentTerms(CanonicalModel):
    """When an invoice or bill is due, relative to its issue date.

    Attributes:
        name: as the source calls them ("Net 30", "Due on receipt").
        net_days: days after the issue date; fills ``due_date`` when it is absent.

    """

    name: str | None = None
    net_days: int | None = Field(default=None, ge=0)


class _DueDocument(ItemizedDocument):
    """An itemized document with a number, issue date and optional due date."""

    number: str | None = None
    issue_date: dt.date
    due_date: dt.date | None = None
    payment_terms: PaymentTerms | None = None
    memo: str | None = None

    @model_validator(mode="after")
    def _due_date(self) -> _DueDocument:
        terms = self.payment_terms
        if self.due_date is None and terms is not None and terms.net_days is not None:
            _fill(self, "due_date", self.issue_date + dt.timedelta(terms.net_days))
        if self.due_date is not None and self.due_date < self.issue_date:
            raise _field_error(
                ("due_date",),
                "due_before_issue",
                f"due_date {self.due_date} is before issue_date {self.issue_date}",
                str(self.due_date),
            )
        return self
