"""What we buy: vendor bills and expenses."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ledgerbridge.documents.common import Ref
from ledgerbridge.documents.lines import ItemizedDocument, _DueDocument

__all__ = ["Bill", "Expense"]


class Bill(_DueDocument):
    """A bill (purchase invoice) from a vendor.

    Attributes:
        vendor: the contact who billed us.
        number: the vendor's invoice number.
        due_date: computed from ``payment_terms.net_days`` when absent.

    """

    type: Literal["bill"] = "bill"
    vendor: Ref
    status: Literal["draft", "open", "paid", "void"] = "open"


class Expense(ItemizedDocument):
    """A spend already paid: a card transaction, a cash purchase, an employee claim.

    Attributes:
        date: when it was spent.
        vendor: the merchant, when known.
        employee: who spent it, for reimbursable claims.
        paid_with: account hint of what paid it ("Company card", "1010").
        payment_method: card, cash, bank_transfer ...
        reimbursable: true when the company owes the employee.
        receipt: a reference to the receipt file or its id in the expense tool.

    """

    type: Literal["expense"] = "expense"
    date: dt.date
    vendor: Ref | None = None
    employee: Ref | None = None
    paid_with: str | None = None
    payment_method: str | None = None
    reimbursable: bool = False
    receipt: str | None = None
    memo: str | None = None
