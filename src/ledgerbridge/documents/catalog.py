"""What is sold and bought, and the tax rates that apply."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ledgerbridge.documents.common import Amount, CurrencyCode, Document, Percent

__all__ = ["Item", "TaxRate"]


class Item(Document):
    """A product or service from the catalog.

    Attributes:
        sku: stock-keeping unit or the source's item code.
        unit_price: default sale price, in ``currency``.
        purchase_price: default purchase cost, in ``currency``.
        income_account, expense_account: account hints for posting.
        tax_code: default tax rate code.

    """

    type: Literal["item"] = "item"
    name: str = Field(min_length=1)
    sku: str | None = None
    kind: Literal["product", "service", "inventory"] = "product"
    description: str | None = None
    currency: CurrencyCode | None = None
    unit_price: Amount | None = None
    purchase_price: Amount | None = None
    income_account: str | None = None
    expense_account: str | None = None
    tax_code: str | None = None
    active: bool = True


class TaxRate(Document):
    """A tax rate in one jurisdiction.

    Attributes:
        tax_code: the code lines refer to ("GB-VAT20", "TAX").
        jurisdiction: where it applies ("GB", "US-CA-SF").
        percent: the rate, "20" for 20 %.
        applies_to: sales, purchases or both.

    """

    type: Literal["tax_rate"] = "tax_rate"
    name: str = Field(min_length=1)
    tax_code: str = Field(min_length=1)
    jurisdiction: str = Field(min_length=1)
    percent: Percent
    applies_to: Literal["sales", "purchases", "both"] = "both"
    recoverable: bool = True
    active: bool = True
