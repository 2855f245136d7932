"""One valid JSON-shaped document per type, as a connector or webhook caller would send it."""

from __future__ import annotations

from typing import Any


def source(object_type: str, external_id: str) -> dict[str, str]:
    return {"connection": "demo", "object_type": object_type, "external_id": external_id}


def invoice() -> dict[str, Any]:
    return {
        "type": "invoice",
        "source": source("invoice", "in_1001"),
        "number": "INV-1001",
        "customer": {"external_id": "cus_42", "name": "Acme Ltd"},
        "issue_date": "2024-05-01",
        "payment_terms": {"name": "Net 30", "net_days": 30},
        "currency": "USD",
        "lines": [
            {
                "description": "Widget",
                "quantity": "3",
                "unit_price": "9.99",
                "discount": {"percent": "10"},
                "tax_lines": [
                    {"jurisdiction": "US-CA", "percent": "7.25", "amount": "1.96"},
                    {"jurisdiction": "US-CA-SF", "percent": "1.375", "amount": "0.37"},
                ],
                "account": "4000",
                "item": {"external_id": "prod_widget"},
            },
            {"description": "Setup", "amount": "50.00"},
        ],
        "subtotal": "79.97",
        "discount_total": "3.00",
        "tax_total": "2.33",
        "total": "79.30",
    }


def credit_note() -> dict[str, Any]:
    return {
        "type": "credit_note",
        "source": source("credit_note", "cn_7"),
        "customer": {"external_id": "cus_42"},
        "invoice": {"external_id": "in_1001"},
        "issue_date": "2024-05-10",
        "currency": "EUR",
        "amounts_include_tax": True,
        "lines": [
            {
                "description": "Returned widget",
                "unit_price": "11.90",
                "tax_lines": [{"jurisdiction": "DE", "name": "USt", "amount": "1.90"}],
            }
        ],
        "total": "11.90",
        "reason": "damaged",
    }


def bill() -> dict[str, Any]:
    return {
        "type": "bill",
        "source": source("Bill", "77"),
        "vendor": {"id": "contact-9"},
        "number": "V-5531",
        "issue_date": "2024-04-02",
        "due_date": "2024-05-02",
        "currency": "GBP",
        "lines": [{"description": "Office rent", "amount": "1000.00", "account": "6100"}],
        "tax_lines": [{"jurisdiction": "GB", "name": "VAT", "percent": "20", "amount": "200.00"}],
        "total": "1200.00",
    }


def expense() -> dict[str, Any]:
    return {
        "type": "expense",
        "source": source("expense", "exp_3"),
        "date": "2024-03-15",
        "vendor": {"external_id": "m_taxi", "name": "City Taxi"},
        "employee": {"external_id": "emp_1"},
        "currency": "JPY",
        "reimbursable": True,
        "lines": [{"description": "Taxi", "amount": 2300, "account": "Travel"}],
    }


def order() -> dict[str, Any]:
    return {
        "type": "order",
        "source": source("order", "450789469"),
        "number": "#1001",
        "order_date": "2024-06-01",
        "currency": "USD",
        "financial_status": "partially_refunded",
        "lines": [
            {
                "description": "T-shirt",
                "quantity": "2",
                "unit_price": "20.00",
                "discount": {"amount": "4.00", "reason": "SUMMER10"},
                "tax_lines": [{"jurisdiction": "US-NY", "amount": "3.20"}],
            }
        ],
        "shipping_lines": [
            {
                "title": "Standard",
                "amount": "5.00",
                "discount": "1.00",
                "tax_lines": [{"jurisdiction": "US-NY", "amount": "0.36"}],
            }
        ],
        "shipping_total": "4.00",
        "tax_total": "3.56",
        "total": "43.56",
        "presentment": {"currency": "CAD", "total": "59.68"},
        "gift_cards": [{"last_characters": "x7k2", "amount": "10.00"}],
        "refunds": [{"date": "2024-06-03", "amount": "5.00", "note": "late"}],
    }


def deal() -> dict[str, Any]:
    return {
        "type": "deal",
        "source": source("deal", "9001"),
        "name": "Acme annual plan",
        "pipeline": "default",
        "stage": "closedwon",
        "status": "won",
        "amount": "12000.00",
        "currency": "USD",
        "close_date": "2024-06-30",
        "company": {"external_id": "co_1"},
        "contacts": [{"external_id": "p_1"}, {"external_id": "p_2"}],
        "lines": [{"description": "Annual plan", "quantity": "12", "unit_price": "1000.00"}],
    }


def payment() -> dict[str, Any]:
    return {
        "type": "payment",
        "source": source("charge", "ch_1"),
        "date": "2024-05-20",
        "amount": "100.000",
        "currency": "KWD",
        "method": "card",
        "contact": {"external_id": "cus_42"},
        "applications": [
            {"document": {"external_id": "in_1"}, "amount": "60.500"},
            {"document": {"external_id": "in_2"}, "amount": "30.000"},
        ],
        "fee": "2.950",
        "processor": "stripe",
    }


def refund() -> dict[str, Any]:
    return {
        "type": "refund",
        "source": source("refund", "re_1"),
        "date": "2024-05-22",
        "amount": "15.00",
        "currency": "USD",
        "payment": {"external_id": "ch_1"},
        "reason": "requested_by_customer",
    }


def fee() -> dict[str, Any]:
    return {
        "type": "fee",
        "source": source("balance_transaction", "txn_fee"),
        "kind": "subscription",
        "date": "2024-05-31",
        "amount": "25.00",
        "currency": "USD",
        "processor": "stripe",
    }


def payout() -> dict[str, Any]:
    return {
        "type": "payout",
        "source": source("payout", "po_1"),
        "processor": "stripe",
        "date": "2024-06-02",
        "arrival_date": "2024-06-04",
        "currency": "USD",
        "gross": "85.00",
        "fees": "3.20",
        "net": "81.80",
        "balance_transactions": [
            {"kind": "payment", "gross": "100.00", "fee": "3.20", "net": "96.80"},
            {"kind": "refund", "gross": "-15.00", "fee": "0.00", "net": "-15.00"},
        ],
    }


def dispute() -> dict[str, Any]:
    return {
        "type": "dispute",
        "source": source("dispute", "dp_1"),
        "payment": {"external_id": "ch_1"},
        "opened_date": "2024-06-10",
        "amount": "100.00",
        "currency": "USD",
        "fee": "15.00",
    }


def bank_transaction() -> dict[str, Any]:
    return {
        "type": "bank_transaction",
        "source": source("camt053", "2024060412345"),
        "account": "DE89370400440532013000",
        "booking_date": "2024-06-04",
        "value_date": "2024-06-04",
        "amount": "-81.80",
        "currency": "EUR",
        "description": "STRIPE PAYOUT",
        "counterparty": {"name": "Stripe", "iban": "GB82 WEST 1234 5698 7654 32"},
        "bank_reference": "2024060412345",
        "balance": "10234.55",
    }


def payroll_run() -> dict[str, Any]:
    return {
        "type": "payroll_run",
        "source": source("payroll", "pr_6"),
        "period_start": "2024-06-01",
        "period_end": "2024-06-30",
        "pay_date": "2024-06-28",
        "currency": "GBP",
        "employees": [
            {
                "employee": {"external_id": "e1"},
                "gross": "3000.00",
                "employee_taxes": "600.00",
                "deductions": "150.00",
                "net": "2250.00",
                "employer_taxes": "320.00",
                "employer_contributions": "90.00",
            },
            {
                "employee": {"external_id": "e2"},
                "gross": "2000.00",
                "employee_taxes": "300.00",
                "deductions": "0.00",
                "net": "1700.00",
                "employer_taxes": "180.00",
                "employer_contributions": "60.00",
            },
        ],
        "net": "3950.00",
    }


def payroll_remittance() -> dict[str, Any]:
    return {
        "type": "payroll_remittance",
        "source": source("tax_debit", "pr_6/taxes"),
        "date": "2024-06-26",
        "currency": "GBP",
        "payee": "HMRC",
        "run": {"external_id": "pr_6"},
        "lines": [{"name": "PAYE", "amount": "900.00"}, {"name": "NIC", "amount": "500.00"}],
        "total": "1400.00",
    }


def payroll_accrual() -> dict[str, Any]:
    return {
        "type": "payroll_accrual",
        "source": source("payroll_accrual", "pr_6/accrual/2024-06-30"),
        "date": "2024-06-30",
        "currency": "GBP",
        "run": {"external_id": "pr_6"},
        "lines": [{"kind": "wages", "department": "Sales", "amount": "1250.00"}],
    }


def contact() -> dict[str, Any]:
    return {
        "type": "contact",
        "source": source("customer", "cus_42"),
        "name": "Acme Ltd",
        "kind": "both",
        "emails": ["ap@acme.example"],
        "tax_id": "GB123456789",
        "addresses": [{"kind": "billing", "line1": "1 High St", "city": "Leeds", "country": "GB"}],
        "iban": "GB82WEST12345698765432",
        "currency": "GBP",
    }


def item() -> dict[str, Any]:
    return {
        "type": "item",
        "source": source("product", "prod_widget"),
        "name": "Widget",
        "sku": "W-1",
        "currency": "USD",
        "unit_price": "9.99",
        "income_account": "4000",
        "tax_code": "TAX",
    }


def tax_rate() -> dict[str, Any]:
    return {
        "type": "tax_rate",
        "source": source("TaxRate", "3"),
        "name": "California state",
        "tax_code": "CA",
        "jurisdiction": "US-CA",
        "percent": "7.25",
        "applies_to": "sales",
    }


ALL = {
    "bank_transaction": bank_transaction,
    "bill": bill,
    "contact": contact,
    "credit_note": credit_note,
    "deal": deal,
    "dispute": dispute,
    "expense": expense,
    "fee": fee,
    "invoice": invoice,
    "item": item,
    "order": order,
    "payment": payment,
    "payout": payout,
    "payroll_accrual": payroll_accrual,
    "payroll_remittance": payroll_remittance,
    "payroll_run": payroll_run,
    "refund": refund,
    "tax_rate": tax_rate,
}
"""A builder of one valid sample per document type."""
