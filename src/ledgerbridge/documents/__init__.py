"""Canonical documents: the models every connector normalizes into and every rule reads.

All models are frozen; lists are tuples. Amounts are :class:`~ledgerbridge.money.Money`
in Python and decimal strings in JSON, read in the currency of the enclosing document.
"""

from ledgerbridge.documents.banking import BankTransaction, Counterparty
from ledgerbridge.documents.catalog import Item, TaxRate
from ledgerbridge.documents.common import (
    Address,
    Amount,
    CanonicalModel,
    CurrencyCode,
    Document,
    ExchangeRate,
    Percent,
    Quantity,
    Ref,
    Source,
)
from ledgerbridge.documents.lines import Discount, ItemizedDocument, Line, PaymentTerms, TaxLine
from ledgerbridge.documents.parties import Contact, Iban
from ledgerbridge.documents.payments import (
    BalanceTransaction,
    Dispute,
    Fee,
    Payment,
    PaymentApplication,
    PaymentMethod,
    Payout,
    Refund,
)
from ledgerbridge.documents.payroll import (
    AccrualLine,
    PayrollAccrual,
    PayrollBenefit,
    PayrollEmployee,
    PayrollRemittance,
    PayrollRun,
    PayrollTax,
    RemittanceLine,
    accruals,
    expense_lines,
)
from ledgerbridge.documents.purchases import Bill, Expense
from ledgerbridge.documents.registry import (
    DOCUMENT_TYPES,
    AnyDocument,
    DocumentError,
    parse_document,
    validation_problems,
)
from ledgerbridge.documents.sales import (
    CreditNote,
    Deal,
    GiftCardPayment,
    Invoice,
    Order,
    OrderRefund,
    PresentmentTotals,
    ShippingLine,
)

__all__ = [
    "DOCUMENT_TYPES",
    "AccrualLine",
    "Address",
    "Amount",
    "AnyDocument",
    "BalanceTransaction",
    "BankTransaction",
    "Bill",
    "CanonicalModel",
    "Contact",
    "Counterparty",
    "CreditNote",
    "CurrencyCode",
    "Deal",
    "Discount",
    "Dispute",
    "Document",
    "DocumentError",
    "ExchangeRate",
    "Expense",
    "Fee",
    "GiftCardPayment",
    "Iban",
    "Invoice",
    "Item",
    "ItemizedDocument",
    "Line",
    "Order",
    "OrderRefund",
    "PaymentApplication",
    "PaymentMethod",
    "PaymentTerms",
    "Payment",
    "Payout",
    "PayrollAccrual",
    "PayrollBenefit",
    "PayrollEmployee",
    "PayrollRemittance",
    "PayrollRun",
    "PayrollTax",
    "Percent",
    "PresentmentTotals",
    "Quantity",
    "Ref",
    "Refund",
    "RemittanceLine",
    "ShippingLine",
    "Source",
    "TaxLine",
    "TaxRate",
    "accruals",
    "expense_lines",
    "parse_document",
    "validation_problems",
]
