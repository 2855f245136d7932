"""The public surface of ledgerbridge.documents is exactly the intended one."""

from __future__ import annotations

import importlib

import ledgerbridge.documents as documents

MODULES = {
    "banking": {"BankTransaction", "Counterparty"},
    "catalog": {"Item", "TaxRate"},
    "common": {
        "Address",
        "Amount",
        "CanonicalModel",
        "CurrencyCode",
        "Document",
        "ExchangeRate",
        "Percent",
        "Quantity",
        "Ref",
        "Source",
    },
    "lines": {"Discount", "ItemizedDocument", "Line", "PaymentTerms", "TaxLine"},
    "parties": {"Contact", "Iban"},
    "payments": {
        "BalanceTransaction",
        "Dispute",
        "Fee",
        "Payment",
        "PaymentApplication",
        "PaymentMethod",
        "Payout",
        "Refund",
    },
    "payroll": {"AccrualLine", "PayrollAccrual", "PayrollBenefit", "PayrollEmployee",
                "PayrollRemittance", "PayrollRun", "PayrollTax", "RemittanceLine", "accruals",
                "expense_lines"},
    "purchases": {"Bill", "Expense"},
    "registry": {"DOCUMENT_TYPES", "AnyDocument", "DocumentError", "parse_document",
                 "validation_problems"},
    "sales": {
        "CreditNote",
        "Deal",
        "GiftCardPayment",
        "Invoice",
        "Order",
        "OrderRefund",
        "PresentmentTotals",
        "ShippingLine",
    },
}

DOCUMENT_TYPES = {
    "bank_transaction": "BankTransaction",
    "bill": "Bill",
    "contact": "Contact",
    "credit_note": "CreditNote",
    "deal": "Deal",
    "dispute": "Dispute",
    "expense": "Expense",
    "fee": "Fee",
    "invoice": "Invoice",
    "item": "Item",
    "order": "Order",
    "payment": "Payment",
    "payout": "Payout",
    "payroll_accrual": "PayrollAccrual",
    "payroll_remittance": "PayrollRemittance",
    "payroll_run": "PayrollRun",
    "refund": "Refund",
    "tax_rate": "TaxRate",
}


def test_each_module_exports_exactly_its_names() -> None:
    for name, expected in MODULES.items():
        module = importlib.import_module(f"ledgerbridge.documents.{name}")
        assert set(module.__all__) == expected, name
        assert len(module.__all__) == len(expected), f"{name}: duplicate in __all__"
        for exported in expected:
            assert hasattr(module, exported), f"{name}.{exported}"


def test_package_reexports_every_module_name_and_nothing_else() -> None:
    expected = set().union(*MODULES.values())
    assert set(documents.__all__) == expected
    assert len(documents.__all__) == len(expected)
    for name in expected:
        assert getattr(documents, name) is not None


def test_registry_names_every_document_type() -> None:
    assert {k: v.__name__ for k, v in documents.DOCUMENT_TYPES.items()} == DOCUMENT_TYPES
    for kind, cls in documents.DOCUMENT_TYPES.items():
        assert cls.model_fields["type"].default == kind
        assert issubclass(cls, documents.Document)


def test_schema_module_exports() -> None:
    schema = importlib.import_module("ledgerbridge.documents.schema")
    assert set(schema.__all__) == {"document_schema", "render_json_schemas", "write_json_schemas"}
